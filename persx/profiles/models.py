"""The durable visitor profile record (the cookie is what pages render from)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class VisitorProfileRecord(models.Model):
    visitor_id = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visitor_profiles",
    )
    industry = models.CharField(max_length=40, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    persona_confidence = models.FloatField(default=0.0)
    goals = models.JSONField(default=list, blank=True)
    tools = models.JSONField(default=list, blank=True)
    role = models.CharField(max_length=80, blank=True)
    industry_source = models.CharField(max_length=20, blank=True)
    persona_source = models.CharField(max_length=20, blank=True)
    consent = models.CharField(max_length=10, default="unknown")
    set_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ("-updated_at",)
        indexes = [models.Index(fields=["user", "-updated_at"], name="profile_user_recent")]

    def __str__(self) -> str:
        return f"{self.visitor_id} ({self.industry or 'no industry'})"
