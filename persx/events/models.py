"""The append-only event log. One row per event; ``event_id`` (client UUID) is unique.

This model is the definition of the row: :mod:`persx.events.event_row` derives the insert's
columns and the text widths from it, :mod:`persx.events.event_types` lists the types.

On PostgreSQL the table is range-partitioned by month of ``occurred_at`` (migration 0004,
:mod:`persx.events.partitions`): its primary key is ``(id, occurred_at)`` and ``event_id``
is kept unique by :class:`ReceivedEventId` instead of an index on the events table (a unique
index on a partitioned table must contain the partition key). SQLite keeps the plain table.
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


class ReceivedEventId(models.Model):
    """PostgreSQL: the ids of received events, while a replay could still be accepted.

    The partitioned events table cannot hold a unique index on ``event_id`` alone, so the
    insert first records the id here (``ON CONFLICT DO NOTHING``) and stores the event only
    when the id was new (``services``). A client may resend an event until it is older
    than ``services.MAX_AGE``; ``replayable_until`` is that moment, after which
    ``persx_events_partitions`` forgets the id. Unused on SQLite (its events table keeps
    the unique index).
    """

    event_id = models.UUIDField(primary_key=True)
    replayable_until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.event_id} (until {self.replayable_until:%Y-%m-%d})"
