"""App keys: how an app (mobile, single-page site, edge worker) authenticates to
``POST /api/decisions``. Only a digest of the secret is stored; the key itself is shown once,
when it is created (:mod:`persx.headless.services`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class KeyScope(models.TextChoices):
    DECIDE = "decide", "Decide only (nothing recorded)"
    DECIDE_RECORD = "decide+record", "Decide and record exposures"


class AppKey(models.Model):
    name = models.CharField(max_length=100)
    # The public part of the key (``pxk_<prefix>_<secret>``): finds the row, shown in the admin.
    prefix = models.CharField(max_length=16, unique=True)
    # SHA-256 of the whole key (the secret has 256 random bits: no slow hash needed).
    secret_hash = models.CharField(max_length=64)
    scope = models.CharField(max_length=16, choices=KeyScope.choices, default=KeyScope.DECIDE)
    requests_per_minute = models.PositiveIntegerField(
        default=600, help_text="Decisions this key may ask for per minute (all its callers)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "app key"

    def __str__(self) -> str:
        return f"{self.name} (pxk_{self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def may_record(self) -> bool:
        return self.scope == KeyScope.DECIDE_RECORD
