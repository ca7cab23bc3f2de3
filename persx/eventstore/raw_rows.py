"""Event rows as the writers hand them (driver-ready values) → ClickHouse's Python values.

The event writers build each row once, in ``persx.events.event_row.EVENT_COLUMNS`` order,
with values already adapted for the relational driver: on SQLite a time is UTC text and an
id is hex, on PostgreSQL they are ``datetime`` and ``UUID``, and ``properties`` is JSON
text or psycopg's JSON wrapper. These turn any of them into what ClickHouse takes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# ClickHouse's columns, in the writers' order (tests/web/test_event_store.py checks it
# against EVENT_COLUMNS).
COLUMNS: tuple[str, ...] = (
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
_EVENT_ID = COLUMNS.index("event_id")
_TIMES = (COLUMNS.index("occurred_at"), COLUMNS.index("received_at"))
_VALUE = COLUMNS.index("value")
_PROPERTIES = COLUMNS.index("properties")


def utc_time(value: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime (aware, or naive UTC) or SQLite's UTC text."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _event_id(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _properties(value: Any) -> str:
    if isinstance(value, str):
        return value
    wrapped = getattr(value, "obj", value)  # psycopg's Jsonb keeps the object in .obj
    return json.dumps(wrapped or {}, separators=(",", ":"))


def clickhouse_row(row: Sequence[Any]) -> list[Any]:
    """One writer row as ClickHouse values (same order)."""
    values = list(row)
    values[_EVENT_ID] = _event_id(values[_EVENT_ID])
    for i in _TIMES:
        values[i] = utc_time(values[i])
    values[_VALUE] = None if values[_VALUE] is None else float(values[_VALUE])
    values[_PROPERTIES] = _properties(values[_PROPERTIES])
    return values
