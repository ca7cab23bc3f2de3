"""The append-only event log. One row per event; ``event_id`` (client UUID) is unique."""

from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    PAGE_VIEW = "page_view"
    EXPOSURE = "exposure"
    START_FORM_SUBMITTED = "start_form_submitted"
    FORM_SUBMISSION = "form_submission"
    EMAIL_SIGNUP = "email_signup"
    CTA_CLICK = "cta_click"
    TEST_IDEA_CLICK = "test_idea_click"
    BLOG_READ = "blog_read"
    ENGAGEMENT = "engagement"


class Event(models.Model):
    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=24, choices=EventType.choices)
    visitor_id = models.CharField(max_length=32, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    page = models.CharField(max_length=300, blank=True)
    industry = models.CharField(max_length=40, blank=True)
    persona = models.CharField(max_length=60, blank=True)
    consent = models.CharField(max_length=10, default="unknown")
    # Exposure fields (blank for other types).
    block = models.CharField(max_length=40, blank=True)
    variant = models.CharField(max_length=80, blank=True)
    reason = models.CharField(max_length=24, blank=True)
    experiment = models.CharField(max_length=80, blank=True)
    arm = models.CharField(max_length=40, blank=True)
    would_be = models.CharField(max_length=80, blank=True)
    # engagement seconds, or any numeric value of the event
    value = models.FloatField(null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="event_type_time"),
            models.Index(fields=["visitor_id", "occurred_at"], name="event_visitor_time"),
            models.Index(fields=["experiment", "visitor_id"], name="event_experiment_visitor"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
