"""The event row is laid out once: columns and widths come from the Event model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from persx.events.event_row import (
    EVENT_COLUMNS,
    EventRow,
    VisitorColumns,
    client_event_params,
    fit,
    row_params,
)
from persx.events.models import Event
from persx.events.schemas import ClientEvent
from persx.events.services import insert_rows


def _plain(params: tuple[object, ...]) -> tuple[object, ...]:
    """Driver wrappers (psycopg's ``Jsonb``) compare by identity: compare what they wrap."""
    return tuple(getattr(value, "obj", value) for value in params)


def test_fit_cuts_a_value_to_its_model_column_width() -> None:
    assert len(fit("page", "/" + "x" * 1000)) == Event._meta.get_field("page").max_length == 300
    assert fit("arm", None) == ""
    assert fit("industry", "saas") == "saas"


def test_the_client_hot_path_and_server_rows_lay_out_the_same_columns() -> None:
    event_id = uuid.uuid4()
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    who = VisitorColumns(visitor_id="v" * 32, industry="saas", persona="cto", consent="granted")
    client = ClientEvent(
        event_id=event_id,
        type="cta_click",
        occurred_at=at,
        page="/contact/",
        value=2.5,
        properties={"label": "Book a demo"},
    )
    row = EventRow(
        event_id=event_id,
        type="cta_click",
        occurred_at=at,
        received_at=at,
        page="/contact/",
        visitor=who,
        value=2.5,
        properties={"label": "Book a demo"},
    )
    from_client = [_plain(p) for p in client_event_params([client], who, at)]
    from_rows = [_plain(p) for p in row_params([row])]
    assert from_client == from_rows
    assert len(from_rows[0]) == len(EVENT_COLUMNS)


@pytest.mark.django_db
def test_each_value_lands_in_its_own_column() -> None:
    at = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    row = EventRow(
        event_id=uuid.uuid4(),
        type="exposure",
        occurred_at=at,
        received_at=datetime(2026, 3, 1, 12, 31, tzinfo=UTC),
        page="/p/",
        visitor=VisitorColumns("vid", "ind", "per", "granted"),
        block="blk",
        variant="var",
        reason="rsn",
        experiment="exp",
        arm="arm",
        would_be="wb",
        value=7.0,
        properties={"k": "v"},
    )
    assert insert_rows([row]) == 1
    stored = Event.objects.get(event_id=row.event_id)
    expected = {
        "event_id": row.event_id,
        "type": "exposure",
        "visitor_id": "vid",
        "occurred_at": row.occurred_at,
        "received_at": row.received_at,
        "page": "/p/",
        "industry": "ind",
        "persona": "per",
        "consent": "granted",
        "block": "blk",
        "variant": "var",
        "reason": "rsn",
        "experiment": "exp",
        "arm": "arm",
        "would_be": "wb",
        "value": 7.0,
        "properties": {"k": "v"},
    }
    assert set(expected) == set(EVENT_COLUMNS)
    assert {c: getattr(stored, c) for c in EVENT_COLUMNS} == expected
