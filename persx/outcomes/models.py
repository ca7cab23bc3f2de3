"""CRM integrations, their tokens, the outcomes they send, and each experiment's attribution
window (docs/outcomes.md).

- :class:`Integration`: one CRM connection (e.g. "hubspot-prod"); its outcome ids are its
  own namespace (idempotency is per integration and outcome id).
- :class:`IntegrationToken`: a bearer token of an integration, stored as its SHA-256 only;
  the token itself is shown once, when an editor creates it, and can be revoked.
- :class:`Outcome`: one CRM record at its stage, with the keys it came with (lead id,
  email, account domain) and what they resolved to (visitor id, account) with a match
  status and reason (:mod:`persx.outcomes.matching`).
- :class:`AttributionWindow`: per experiment key, how many days after a unit's first
  exposure an outcome still counts (default 30 without a row). Kept here, keyed by the
  experiment's key, so the experiments app needs no column for it.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from persx.outcomes.vocabulary import (
    MAX_ACCOUNT,
    MAX_EMAIL,
    MAX_OUTCOME_ID,
    Stage,
)

DEFAULT_ATTRIBUTION_DAYS = 30
MAX_ATTRIBUTION_DAYS = 730


class Integration(models.Model):
    name = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class IntegrationToken(models.Model):
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256, hex
    prefix = models.CharField(max_length=12)  # the first characters, to tell tokens apart
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.integration.name}: {self.prefix}…"


class MatchStatus(models.TextChoices):
    MATCHED = "matched", "Matched"
    UNMATCHED = "unmatched", "Not matched"


class MatchReason(models.TextChoices):
    """Why an outcome found its visitor or account, or why not (first match wins)."""

    LEAD = "lead", "Matched by lead id"
    EMAIL = "email", "Matched by email of a lead"
    ACCOUNT = "account", "Matched by account"
    NO_SUCH_LEAD = "no_such_lead", "No lead with that id"
    LEAD_WITHOUT_VISITOR = "lead_without_visitor", "The lead has no visitor id"
    EMAIL_NEVER_SEEN = "email_never_seen", "No lead was sent with that email"
    FREE_MAIL = "free_mail", "Free-mail or disposable domain: no account"
    ACCOUNT_UNKNOWN = "account_unknown", "No visitor of that account"
    BEFORE_FIRST_EXPOSURE = "before_first_exposure", "Before the visitor's first exposure"
    NEVER_EXPOSED = "never_exposed", "The visitor was never exposed to an experiment"


class Outcome(models.Model):
    integration = models.ForeignKey(Integration, on_delete=models.PROTECT, related_name="outcomes")
    outcome_id = models.CharField(max_length=MAX_OUTCOME_ID)
    # The CRM record (deal) whose stage this is; "" when it is the outcome id itself.
    record_id = models.CharField(max_length=MAX_OUTCOME_ID, blank=True)
    stage = models.CharField(max_length=20, choices=[(s.value, s.value) for s in Stage])
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    occurred_at = models.DateTimeField()
    # The keys the CRM sent (any of them; at least one).
    lead_id = models.BigIntegerField(null=True, blank=True)
    email = models.CharField(max_length=MAX_EMAIL, blank=True)
    account_domain = models.CharField(max_length=MAX_ACCOUNT, blank=True)
    # What they resolved to.
    visitor_id = models.CharField(max_length=32, blank=True)
    account = models.CharField(max_length=MAX_ACCOUNT, blank=True)
    match_status = models.CharField(
        max_length=12, choices=MatchStatus.choices, default=MatchStatus.UNMATCHED
    )
    match_reason = models.CharField(max_length=24, choices=MatchReason.choices, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "outcome_id"], name="outcomes_integration_outcome_id"
            )
        ]
        indexes = [
            models.Index(fields=["visitor_id"], name="outcomes_visitor"),
            models.Index(fields=["account"], name="outcomes_account"),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}/{self.outcome_id}: {self.stage}"

    @property
    def record(self) -> str:
        return self.record_id or self.outcome_id


class AttributionWindow(models.Model):
    experiment_key = models.CharField(max_length=80, unique=True)
    days = models.PositiveIntegerField(
        default=DEFAULT_ATTRIBUTION_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ATTRIBUTION_DAYS)],
    )

    def __str__(self) -> str:
        return f"{self.experiment_key}: {self.days} days"
