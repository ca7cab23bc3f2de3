"""The append-only event log. One row per event; ``event_id`` (client UUID) is unique.

This model is the definition of the row: :mod:`persx.events.event_row` derives the insert's
columns and the text widths from it, :mod:`persx.events.event_types` lists the types.
"""

from __future__ import annotations

from django.db import models

from persx.events.event_types import EventType


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
