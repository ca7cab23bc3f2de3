"""Writes to the event log: client batches, server-side events of a request, exposures.

Who the visitor is (id, industry, persona, consent) always comes from the server-side
profile, never from what a client sent. A visitor who declined consent has nothing stored.

Batches are inserted with one prepared ``INSERT ... ON CONFLICT (event_id) DO NOTHING`` run
over all rows (``executemany``; SQLite ≥ 3.24 and PostgreSQL): the unique ``event_id``
makes a replay a no-op, and the driver's summed ``rowcount`` says how many rows were new.
``bulk_create(ignore_conflicts=True)`` does the same but prepares every field of every row
through the ORM and, on SQLite, splits a batch into 58-row statements: 3–4× slower per batch
of 500 (``bench/ingestion.py``), and it cannot say how many rows were new.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection

from persx.engine.profile import ConsentState, VisitorProfile
from persx.events.durable_write import write_durably
from persx.events.models import Event, EventType
from persx.events.schemas import ClientEvent

# A client clock this far ahead is trusted as "now"; events older than MAX_AGE are refused.
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AGE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class StoredBatch:
    accepted: int
    duplicates: int
    declined: int = 0


@dataclass(frozen=True, slots=True)
class TimeProblem:
    index: int
    message: str


@dataclass(frozen=True, slots=True)
class VisitorColumns:
    """The visitor columns of an event, from the server-side profile (blank when none)."""

    visitor_id: str = ""
    industry: str = ""
    persona: str = ""
    consent: str = "unknown"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One row of ``persx_events_event`` (``id`` aside), in Python types."""

    event_id: uuid.UUID
    type: str
    occurred_at: datetime
    received_at: datetime
    page: str
    visitor: VisitorColumns
    block: str = ""
    variant: str = ""
    reason: str = ""
    experiment: str = ""
    arm: str = ""
    would_be: str = ""
    value: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)


# The events table columns in insert order (shared with the reporting benchmark).
EVENT_COLUMNS = (
    "event_id",
    "type",
    "visitor_id",
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


def visitor_columns(profile: VisitorProfile | None) -> VisitorColumns:
    if profile is None:
        return VisitorColumns()
    return VisitorColumns(
        visitor_id=profile.visitor_id[:32],
        industry=(profile.industry or "")[:40],
        persona=(profile.persona or "")[:60],
        consent=str(profile.consent)[:10],
    )


def may_store_for(profile: VisitorProfile | None) -> bool:
    """Nothing is stored about a visitor who declined consent (DESIGN.md §8)."""
    return profile is None or profile.consent is not ConsentState.DENIED


@cache
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    meta = Event._meta
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(quote(column[name]) for name in EVENT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(EVENT_COLUMNS))
    unique = quote(column["event_id"])
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT ({unique}) DO NOTHING"
    )


def _sqlite_utc_text(value: datetime) -> str:
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _datetime_adapter() -> Callable[[datetime], Any]:
    """How an aware datetime goes to the driver: Django's adapter, or for SQLite in UTC (the
    usual case) the same text (``YYYY-MM-DD HH:MM:SS[.ffffff]``) without per-call checks."""
    if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
        return _sqlite_utc_text
    return connection.ops.adapt_datetimefield_value


class _DriverValues:
    """Python values → what this connection's driver takes, once per batch (not per field
    and row, as the ORM does)."""

    def __init__(self) -> None:
        self.native_uuid = connection.features.has_native_uuid_field
        self.datetime = _datetime_adapter()
        self._json = connection.ops.adapt_json_value
        self.empty_json = self._json({}, None)

    def uuid(self, value: uuid.UUID) -> Any:
        return value if self.native_uuid else value.hex

    def json(self, value: dict[str, Any]) -> Any:
        return self._json(value, None) if value else self.empty_json


def _execute_insert(params: list[tuple[Any, ...]]) -> int:
    """One ``executemany`` of the insert; the rows actually added (conflicts skipped)."""
    if not params:
        return 0
    with connection.cursor() as cursor:
        cursor.executemany(_insert_sql(connection.vendor), params)
        inserted = cursor.rowcount
    return inserted if inserted >= 0 else len(params)


def insert_rows(rows: Sequence[EventRow]) -> int:
    """Insert ``rows`` in the current transaction, skipping known ``event_id``s; rows added."""
    to = _DriverValues()
    adapted: dict[datetime, Any] = {}  # rows of a page render share their timestamps
    params = []
    for r in rows:
        occurred = adapted.get(r.occurred_at)
        if occurred is None:
            occurred = adapted[r.occurred_at] = to.datetime(r.occurred_at)
        received = adapted.get(r.received_at)
        if received is None:
            received = adapted[r.received_at] = to.datetime(r.received_at)
        v = r.visitor
        params.append(
            (
                to.uuid(r.event_id),
                r.type,
                v.visitor_id,
                occurred,
                received,
                r.page,
                v.industry,
                v.persona,
                v.consent,
                r.block,
                r.variant,
                r.reason,
                r.experiment,
                r.arm,
                r.would_be,
                r.value,
                to.json(r.properties),
            )
        )
    return _execute_insert(params)


def _client_event_params(
    events: Sequence[ClientEvent], who: VisitorColumns, received_at: datetime
) -> list[tuple[Any, ...]]:
    """The insert's parameters straight from validated client events (the hot path: no
    intermediate row objects). Same column order as ``insert_rows``."""
    to = _DriverValues()
    latest = received_at + FUTURE_TOLERANCE
    received = to.datetime(received_at)
    as_uuid, as_datetime, as_json = to.uuid, to.datetime, to.json
    visitor, industry, persona, consent = who.visitor_id, who.industry, who.persona, who.consent
    return [
        (
            as_uuid(e.event_id),
            e.type,
            visitor,
            received if e.occurred_at > latest else as_datetime(e.occurred_at),
            received,
            e.page,
            industry,
            persona,
            consent,
            "",
            "",
            "",
            "",
            "",
            "",
            e.value,
            as_json(e.properties),
        )
        for e in events
    ]


def time_problems(events: Sequence[ClientEvent], received_at: datetime) -> list[TimeProblem]:
    """Events older than ``MAX_AGE``: the whole batch is refused when there is any."""
    oldest = received_at - MAX_AGE
    return [
        TimeProblem(i, f"older than {MAX_AGE.days} days ({e.occurred_at.isoformat()})")
        for i, e in enumerate(events)
        if e.occurred_at < oldest
    ]


def store_client_events(
    events: Sequence[ClientEvent], profile: VisitorProfile | None, received_at: datetime
) -> StoredBatch:
    """Store a validated batch once per ``event_id``; returns after the commit.

    Replays (ids stored earlier, or repeated inside the batch) count as duplicates.
    Raises ``DatabaseBusy`` when the database stayed locked through every retry.
    """
    if not may_store_for(profile):
        return StoredBatch(accepted=0, duplicates=0, declined=len(events))
    params = _client_event_params(events, visitor_columns(profile), received_at)
    stored = write_durably(lambda: _execute_insert(params))
    return StoredBatch(accepted=stored, duplicates=len(events) - stored)


def store_rows(rows: Sequence[EventRow]) -> int:
    """Insert server-generated rows (exposures) in their own transaction, with retries."""
    return write_durably(lambda: insert_rows(rows))


def record_visitor_event(
    event_type: EventType,
    profile: VisitorProfile | None,
    page: str,
    occurred_at: datetime,
    *,
    value: float | None = None,
    properties: dict[str, Any] | None = None,
) -> uuid.UUID | None:
    """One server-side event (form submissions) in the caller's transaction; its id.

    Stores nothing (None) for a visitor who declined consent.
    """
    if not may_store_for(profile):
        return None
    event_id = uuid.uuid4()
    insert_rows(
        [
            EventRow(
                event_id=event_id,
                type=str(event_type),
                occurred_at=occurred_at,
                received_at=occurred_at,
                page=page[:300],
                visitor=visitor_columns(profile),
                value=value,
                properties=properties or {},
            )
        ]
    )
    return event_id


def forget_visitor_events(visitor_id: str) -> int:
    """Delete every stored event of a visitor (a deletion request); the number deleted.

    Exposures still queued in memory (at most ~0.5 s of page views) are written afterwards.
    """
    if not visitor_id:
        return 0
    deleted, _ = Event.objects.filter(visitor_id=visitor_id).delete()
    return deleted
