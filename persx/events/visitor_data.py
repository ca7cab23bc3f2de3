"""What the event log holds about a visitor, for the export and the erasure (persx.privacy)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.events import exposure_writer
from persx.events.models import Event
from persx.events.services import forget_visitor_events
from persx.privacy.holders import DataSubject

EXPORTED_FIELDS = (
    "event_id",
    "type",
    "occurred_at",
    "received_at",
    "page",
    "industry",
    "persona",
    "consent",
    "block",
    "variant",
    "reason",
    "experiment",
    "arm",
    "would_be",
    "value",
    "properties",
)


class EventsHeld:
    name = "events"
    models: tuple[type[models.Model], ...] = (Event,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()  # events carry no address

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        if not subject.visitor_ids:
            return []
        rows = (
            Event.objects.filter(visitor_id__in=subject.visitor_ids)
            .order_by("occurred_at", "id")
            .values("visitor_id", *EXPORTED_FIELDS)
        )
        return [
            {
                **row,
                "event_id": str(row["event_id"]),
                "occurred_at": row["occurred_at"].isoformat(),
                "received_at": row["received_at"].isoformat(),
            }
            for row in rows
        ]

    def erase(self, subject: DataSubject) -> int:
        queued = exposure_writer.writer().discard_visitors(subject.visitor_ids)
        return queued + forget_visitor_events(subject.visitor_ids)
