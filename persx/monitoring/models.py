"""Alert rules (data, editable in the admin), incidents, notifications, the hourly health
rollup and the stored weekly reports.

- :class:`AlertRule`: what to watch (a health measure), where (site and/or each industry),
  the threshold and how it is judged (on the 95% interval of a rate), the window, the
  minimum sample, the "for" duration and the clear level (hysteresis).
- :class:`RuleState`: since when a rule's condition has held without an incident yet (the
  "for" duration), one row per rule.
- :class:`Incident`: one per firing of a rule: opened once, updated while it holds,
  resolved once. ``values`` and ``affected`` keep the evidence.
- :class:`Notification`: one per incident × channel × kind (fired / resolved), retried.
- :class:`HealthCount`: per hour × industry × measure counts from the events table, kept
  up to date by each monitor pass; the dashboard's trends read it.
"""

from __future__ import annotations

from django.db import models


class Measure(models.TextChoices):
    PERSONALIZATION_RATE = "personalization_rate", "Personalization rate"
    ERROR_RATE = "error_rate", "Error rate (error + timeout decisions)"
    FALLBACK_RATE = "fallback_rate", "Fallback rate (profiled, served generic)"
    START_FORM_COMPLETION = "start_form_completion", "Start form completion rate"
    PERSISTENCE_RATE = "persistence_rate", "Persistence rate (returning profiles kept)"
    SRM = "srm", "Sample ratio mismatch of a running experiment"
    STALE_VARIANTS = "stale_variants", "Stale variants"
    WEB_VITALS = "web_vitals", "Web Vitals regression of a variant against generic"


class Direction(models.TextChoices):
    BELOW = "below", "fires below the threshold"
    ABOVE = "above", "fires above the threshold"


class AlertRule(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    measure = models.CharField(max_length=30, choices=Measure.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    threshold = models.FloatField(
        help_text="A rate (0.7 = 70%), a p-value (SRM), a count (stale variants) or a ratio "
        "to generic (Web Vitals: 1.2 = 20% slower)."
    )
    clear_level = models.FloatField(
        help_text="Hysteresis: an open incident resolves only when the estimate is back past "
        "this level (e.g. 0.75 for a 70% personalization-rate threshold)."
    )
    relative_to_baseline = models.BooleanField(
        default=False,
        help_text="Threshold and clear level are multiples of the previous 7 days' rate "
        "(e.g. 0.8 = a 20% drop) instead of absolute rates.",
    )
    window_minutes = models.PositiveIntegerField(default=60)
    min_sample = models.PositiveIntegerField(
        default=200, help_text="Below this many observations in the window nothing is judged."
    )
    for_minutes = models.PositiveIntegerField(
        default=0, help_text="The condition must hold this long before an incident opens."
    )
    per_industry = models.BooleanField(default=True, help_text="Judge each industry too.")
    enabled = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    rule = models.OneToOneField(AlertRule, on_delete=models.CASCADE, related_name="state")
    condition_since = models.DateTimeField(null=True, blank=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    last_values = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.rule.key}: since {self.condition_since}"


class Incident(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="incidents")
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    summary = models.CharField(max_length=300)
    # Evidence at opening and the latest values: {scope: {estimate, lower, upper, n, ...}}.
    values = models.JSONField(default=dict, blank=True)
    latest_values = models.JSONField(default=dict, blank=True)
    # Scopes that fired: industry slugs ("" = the whole site), experiment keys (SRM) or
    # "metric:variant" (Web Vitals).
    affected = models.JSONField(default=list, blank=True)
    affected_blocks = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["resolved_at", "started_at"], name="incident_open")]
        constraints = [
            # At most one open incident per rule.
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(resolved_at__isnull=True),
                name="incident_one_open_per_rule",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule.key} at {self.started_at:%Y-%m-%d %H:%M}"


class NotificationKind(models.TextChoices):
    FIRED = "fired"
    RESOLVED = "resolved"


class Notification(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10)  # "email" | "webhook"
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    created_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    gave_up = models.BooleanField(default=False)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "channel", "kind"], name="notification_once"
            )
        ]
        indexes = [models.Index(fields=["delivered_at", "next_attempt_at"], name="notif_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} for {self.incident_id}"


class HealthCount(models.Model):
    hour = models.DateTimeField()
    industry = models.CharField(max_length=40, blank=True)
    measure = models.CharField(max_length=40)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "industry", "measure"], name="health_count_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.industry or 'all'} {self.measure}={self.count}"


class WeeklyReport(models.Model):
    week_start = models.DateField()
    created_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    html = models.TextField()
    recipients = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-week_start", "-created_at"]

    def __str__(self) -> str:
        return self.subject
