"""Newsletter contacts: one row per email address, with the visitor's profile at signup."""

from __future__ import annotations

from django.db import models


class Contact(models.Model):
    """A newsletter address and where it stands in double opt-in.

    ``email`` is stored normalized (stripped, lower-case): ``normalized_email``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        SUBSCRIBED = "subscribed", "Subscribed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    email = models.EmailField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The site visitor id at signup ('' if none).
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Catalog slugs of the visitor's profile at signup ('' = unknown).
    industry = models.CharField(max_length=64, blank=True)
    persona = models.CharField(max_length=64, blank=True)
    account = models.ForeignKey(
        "persx_accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    # The visitor's analytics consent state at signup (granted / denied / unknown).
    consent = models.CharField(max_length=32, blank=True)
    # Where the visitor signed up and the signup block's variant they saw.
    page = models.CharField(max_length=200, blank=True)
    variant = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last confirmation email (a new one is not sent within ``RESEND_AFTER``).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"

    @property
    def sendable(self) -> bool:
        """Whether mail other than a confirmation request may go to this address."""
        return self.status == self.Status.SUBSCRIBED


def normalized_email(raw: str) -> str:
    """How an address is stored and looked up: surrounding blanks dropped, lower-case."""
    return raw.strip().lower()


def contacts_of(visitor_ids: frozenset[str], email: str) -> models.QuerySet[Contact]:
    """The contacts signed up by these visitor ids and, when given, the one with ``email``."""
    match = models.Q(visitor_id__in=[v for v in visitor_ids if v])
    if email:
        match |= models.Q(email=normalized_email(email))
    return Contact.objects.filter(match)
