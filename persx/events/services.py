"""Writes to the event log: client batches, server-side events of a request, exposures.

Who the visitor is (id, industry, persona, consent) always comes from the server-side
profile and the consent cookie, never from what a client sent. Measurement is stored only
when the visitor's analytics consent allows it under the site's mode
(``persx.privacy.consent``): never for a visitor who declined, under opt-in only for one
who accepted. Events of an erased visitor id (a tombstone, ``persx.privacy.tombstones``) are
dropped, also when they were queued before the erasure.

Every batch is stored by ``persx.events.batch_insert.insert_batch``: one statement per batch
on PostgreSQL (``unnest`` of one array per column), one prepared ``executemany`` on SQLite;
a replayed ``event_id`` (stored earlier, or repeated inside the batch) is skipped and the
count of new rows comes back. ``bulk_create(ignore_conflicts=True)`` would prepare every
field of every row through the ORM, split a batch into many statements and could not say
how many rows were new.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.batch_insert import insert_batch
from persx.events.durable_write import write_durably
from persx.events.event_row import (
    MAX_AGE,
    EventRow,
    VisitorColumns,
    client_event_params,
    fit,
    row_params,
)
from persx.events.event_types import EventType
from persx.events.models import Event
from persx.events.schemas import ClientEvent
from persx.privacy.consent import measurement_allowed
from persx.privacy.mode import consent_mode
from persx.privacy.tombstones import erased_among, event_write_guard


@dataclass(frozen=True, slots=True)
class StoredBatch:
    accepted: int
    duplicates: int
    declined: int = 0


@dataclass(frozen=True, slots=True)
class TimeProblem:
    index: int
    message: str


def _consent(profile: VisitorProfile | None, consent: ConsentState | None) -> ConsentState:
    if consent is not None:
        return consent
    return profile.consent if profile is not None else ConsentState.UNKNOWN


def visitor_columns(
    profile: VisitorProfile | None, consent: ConsentState | None = None
) -> VisitorColumns:
    """The visitor columns; ``consent`` (the request's) wins over the profile's copy."""
    state = str(_consent(profile, consent))
    if profile is None:
        return VisitorColumns(consent=state)
    return VisitorColumns(
        visitor_id=fit("visitor_id", profile.visitor_id),
        industry=fit("industry", profile.industry),
        persona=fit("persona", profile.persona),
        consent=fit("consent", state),
    )


def may_store_for(profile: VisitorProfile | None, consent: ConsentState | None = None) -> bool:
    """Whether measurement of this visitor may be stored: their consent (the request's when
    given, else the profile's copy, else unknown) under the site's consent mode."""
    return measurement_allowed(_consent(profile, consent), consent_mode())


def _without_erased(rows: Sequence[EventRow]) -> list[EventRow]:
    """``rows`` minus those of erased visitors; call inside the write's transaction."""
    event_write_guard(exclusive=False)
    erased = erased_among(r.visitor.visitor_id for r in rows)
    return [r for r in rows if r.visitor.visitor_id not in erased] if erased else list(rows)


def insert_rows(rows: Sequence[EventRow]) -> int:
    """Insert ``rows`` in the current transaction, skipping known ``event_id``s; rows added."""
    return insert_batch(row_params(rows))


def time_problems(events: Sequence[ClientEvent], received_at: datetime) -> list[TimeProblem]:
    """Events older than ``MAX_AGE``: the whole batch is refused when there is any."""
    oldest = received_at - MAX_AGE
    return [
        TimeProblem(i, f"older than {MAX_AGE.days} days ({e.occurred_at.isoformat()})")
        for i, e in enumerate(events)
        if e.occurred_at < oldest
    ]


def store_client_events(
    events: Sequence[ClientEvent],
    profile: VisitorProfile | None,
    received_at: datetime,
    consent: ConsentState | None = None,
) -> StoredBatch:
    """Store a validated batch once per ``event_id``; returns after the commit.

    Replays (ids stored earlier, or repeated inside the batch) count as duplicates. Events
    the visitor's consent does not allow, or of an erased visitor id, are ``declined``.
    Raises ``DatabaseBusy`` when the database stayed locked through every retry.
    """
    declined = StoredBatch(accepted=0, duplicates=0, declined=len(events))
    if not may_store_for(profile, consent):
        return declined
    who = visitor_columns(profile, consent)
    params = client_event_params(events, who, received_at)

    def write() -> int | None:
        event_write_guard(exclusive=False)
        if who.visitor_id and erased_among([who.visitor_id]):
            return None
        return insert_batch(params)

    stored = write_durably(write, visitor_ids=(who.visitor_id,))
    if stored is None:
        return declined
    return StoredBatch(accepted=stored, duplicates=len(events) - stored)


def store_rows(rows: Sequence[EventRow]) -> int:
    """Insert server-generated rows (exposures) in their own transaction, with retries;
    rows of erased visitors are dropped."""
    return write_durably(lambda: insert_rows(_without_erased(rows)))


def record_visitor_event(
    event_type: EventType,
    profile: VisitorProfile | None,
    page: str,
    occurred_at: datetime,
    *,
    value: float | None = None,
    properties: dict[str, Any] | None = None,
    consent: ConsentState | None = None,
) -> uuid.UUID | None:
    """One server-side event (form submissions) in the caller's transaction; its id.

    Stores nothing (None) when the visitor's consent does not allow measurement, or for an
    erased visitor id.
    """
    if not may_store_for(profile, consent):
        return None
    event_id = uuid.uuid4()
    rows = _without_erased(
        [
            EventRow(
                event_id=event_id,
                type=str(event_type),
                occurred_at=occurred_at,
                received_at=occurred_at,
                page=fit("page", page),
                visitor=visitor_columns(profile, consent),
                value=value,
                properties=properties or {},
            )
        ]
    )
    if not rows:
        return None
    insert_rows(rows)
    return event_id


def forget_visitor_events(visitor_ids: set[str] | frozenset[str]) -> int:
    """Delete every stored event of these visitors (an erasure); the number deleted.

    Run it inside the erasure's transaction, after the tombstones (``persx.privacy``):
    what is still queued in a writer is dropped when it is written.
    """
    ids = [v for v in visitor_ids if v]
    if not ids:
        return 0
    deleted, _ = Event.objects.filter(visitor_id__in=ids).delete()
    return deleted
