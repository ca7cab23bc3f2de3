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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection

from persx.engine.profile import ConsentState, VisitorProfile
from persx.events.durable_write import write_durably
from persx.events.event_row import (
    EVENT_COLUMNS,
    EventRow,
    VisitorColumns,
    client_event_params,
    fit,
    row_params,
)
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.events.schemas import ClientEvent

# Events older than MAX_AGE are refused (a client clock ahead: see event_row.FUTURE_TOLERANCE).
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


def visitor_columns(profile: VisitorProfile | None) -> VisitorColumns:
    if profile is None:
        return VisitorColumns()
    return VisitorColumns(
        visitor_id=fit("visitor_id", profile.visitor_id),
        industry=fit("industry", profile.industry),
        persona=fit("persona", profile.persona),
        consent=fit("consent", str(profile.consent)),
    )


def may_store_for(profile: VisitorProfile | None) -> bool:
    """Nothing is stored about a visitor who declined consent."""
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
    return _execute_insert(row_params(rows))


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
    params = client_event_params(events, visitor_columns(profile), received_at)
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
                page=fit("page", page),
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
