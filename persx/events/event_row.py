"""One row of the event log, laid out once: columns, widths, and the insert's parameters.

The :class:`~persx.events.models.Event` model is the definition. From it come
:data:`EVENT_COLUMNS` (the insert's column order, also used by the reporting benchmark),
:data:`WIDTHS` (each text column's ``max_length``: :func:`fit` cuts a server-side value to
it, the API schema validates against it) and the parameter tuples of
:func:`row_params` (server-side rows) and :func:`client_event_params` (the ingestion hot
path: straight from validated client events, no intermediate row objects), which are
built in that same column order.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, models

from persx.events.models import Event

if TYPE_CHECKING:
    from persx.events.schemas import ClientEvent

# The events table's columns in insert order: every concrete field but the primary key.
EVENT_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in Event._meta.concrete_fields if not f.primary_key
)
# The width of each text column (``max_length`` of the model field).
WIDTHS: dict[str, int] = {
    f.name: int(f.max_length)
    for f in Event._meta.concrete_fields
    if isinstance(f, models.CharField) and f.max_length
}

# A client clock this far ahead is trusted as "now".
FUTURE_TOLERANCE = timedelta(minutes=5)
# Events older than this are refused (``services.time_problems``); a received id is
# remembered for MAX_AGE + FUTURE_TOLERANCE after its event (``batch_insert``).
MAX_AGE = timedelta(days=7)


def fit(column: str, value: str | None) -> str:
    """``value`` cut to the width of ``column`` (``""`` for None)."""
    return (value or "")[: WIDTHS[column]]


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


def _sqlite_utc_text(value: datetime) -> str:
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _datetime_adapter() -> Callable[[datetime], Any]:
    """How an aware datetime goes to the driver: Django's adapter, or for SQLite in UTC (the
    usual case) the same text (``YYYY-MM-DD HH:MM:SS[.ffffff]``) without per-call checks."""
    if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone_name == "UTC":
        return _sqlite_utc_text
    return connection.ops.adapt_datetimefield_value


class DriverValues:
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


# Both builders below write the tuple in EVENT_COLUMNS order; tests/web/test_event_row.py
# checks that order against EVENT_COLUMNS and that both builders agree.


def row_params(rows: Sequence[EventRow]) -> list[tuple[Any, ...]]:
    """The insert's parameters of server-side rows, in :data:`EVENT_COLUMNS` order."""
    to = DriverValues()
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
    return params


def client_event_params(
    events: Sequence[ClientEvent], who: VisitorColumns, received_at: datetime
) -> list[tuple[Any, ...]]:
    """The insert's parameters straight from validated client events (the hot path: no
    intermediate row objects), in :data:`EVENT_COLUMNS` order. A time more than
    :data:`FUTURE_TOLERANCE` ahead is clamped to ``received_at``."""
    to = DriverValues()
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
