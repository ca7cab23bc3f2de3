"""The batch write of the event log (persx/events/batch_insert.py), on SQLite and PostgreSQL.

One statement per batch on PostgreSQL (``unnest``), one prepared ``executemany`` on SQLite:
both must keep an ``event_id`` stored once (repeated inside a batch, or sent again later),
count only the new rows, refuse events consent or a tombstone forbids, route every row to
its month's partition, and store nothing of a batch in which one row fails.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.batch_insert import insert_batch
from persx.events.event_row import EventRow, VisitorColumns, row_params
from persx.events.models import Event, ReceivedEventId
from persx.events.partitions import Month, maintain
from persx.events.schemas import ClientEvent
from persx.events.services import store_client_events, store_rows
from persx.privacy.models import ErasedVisitor
from persx.privacy.tombstones import tombstone_key

pytestmark = pytest.mark.django_db


def rows(n: int, *, visitor: str = "b" * 32, at: datetime | None = None) -> list[EventRow]:
    when = at or datetime.now(UTC)
    who = VisitorColumns(visitor, industry="saas")
    return [EventRow(uuid.uuid4(), "cta_click", when, when, f"/p/{i}", who) for i in range(n)]


def client_events(ids: list[uuid.UUID]) -> list[ClientEvent]:
    now = datetime.now(UTC).isoformat()
    return [
        ClientEvent.model_validate(
            {"event_id": str(i), "type": "cta_click", "occurred_at": now, "page": "/"}
        )
        for i in ids
    ]


def stored_ids() -> set[uuid.UUID]:
    return set(Event.objects.values_list("event_id", flat=True))


def test_a_batch_of_500_is_stored_whole_and_counted() -> None:
    batch = rows(500)
    assert store_rows(batch) == 500
    assert stored_ids() == {r.event_id for r in batch}
    stored = Event.objects.get(event_id=batch[7].event_id)
    assert (stored.page, stored.visitor_id, stored.industry) == ("/p/7", "b" * 32, "saas")


def test_stored_rows_take_their_ids_in_the_batch_s_order() -> None:
    """Rows of one time are ordered by id (the rollups' tie-break): arrival order."""
    assert store_rows(rows(50)) == 50
    pages = list(Event.objects.order_by("id").values_list("page", flat=True))
    assert pages == [f"/p/{i}" for i in range(50)]


def test_an_id_repeated_inside_a_batch_is_stored_once_the_first_time() -> None:
    first, *others = rows(4)
    again = EventRow(first.event_id, "form_submission", first.occurred_at, first.received_at,
                     "/again", first.visitor)  # fmt: skip
    assert store_rows([first, *others, again]) == 4
    assert Event.objects.filter(event_id=first.event_id).count() == 1
    assert Event.objects.get(event_id=first.event_id).page == first.page
    assert Event.objects.count() == 4


def test_ids_stored_by_an_earlier_batch_are_skipped_and_only_new_rows_counted() -> None:
    # Counted from what is there already: a server test earlier in the same process may
    # have committed events of its own (the PostgreSQL pass runs in two processes).
    events, ids = Event.objects.count(), ReceivedEventId.objects.count()
    earlier = rows(30)
    assert store_rows(earlier) == 30
    later = earlier[:10] + rows(5)
    assert store_rows(later) == 5
    assert Event.objects.count() - events == 35
    if connection.vendor == "postgresql":  # the partitioned table's unique ids
        assert ReceivedEventId.objects.count() - ids == 35


def test_a_client_batch_replayed_counts_duplicates_not_new_rows() -> None:
    ids = [uuid.uuid4() for _ in range(100)]
    profile = VisitorProfile("c" * 32, industry="saas", consent=ConsentState.GRANTED)
    now = datetime.now(UTC)
    first = store_client_events(client_events(ids), profile, now)
    replay = store_client_events(client_events([*ids[50:], ids[0], uuid.uuid4()]), profile, now)
    assert (first.accepted, first.duplicates) == (100, 0)
    assert (replay.accepted, replay.duplicates) == (1, 51)
    assert Event.objects.filter(visitor_id="c" * 32).count() == 101


def test_a_declined_visitor_s_batch_is_not_stored() -> None:
    profile = VisitorProfile("d" * 32, industry="saas")
    ids = [uuid.uuid4() for _ in range(20)]
    stored = store_client_events(client_events(ids), profile, datetime.now(UTC),
                                 ConsentState.DENIED)  # fmt: skip
    assert (stored.accepted, stored.declined) == (0, 20)
    with override_settings(PERSX={**_persx(), "CONSENT_MODE": "opt_in"}):
        unknown = store_client_events(client_events(ids), profile, datetime.now(UTC))
    assert unknown.declined == 20
    assert not Event.objects.filter(event_id__in=ids).exists()


def _persx() -> dict[str, object]:
    from django.conf import settings

    return dict(settings.PERSX)


def test_an_erased_visitor_s_events_are_dropped_from_client_and_server_batches() -> None:
    erased, kept = "e" * 32, "f" * 32
    ErasedVisitor.objects.create(key=tombstone_key(erased), erased_at=datetime.now(UTC))
    profile = VisitorProfile(erased, industry="saas", consent=ConsentState.GRANTED)
    ids = [uuid.uuid4() for _ in range(5)]
    assert store_client_events(client_events(ids), profile, datetime.now(UTC)).declined == 5
    mixed = rows(7, visitor=erased) + rows(3, visitor=kept)
    assert store_rows(mixed) == 3
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {kept}


def test_a_row_failing_mid_batch_stores_nothing_of_the_batch() -> None:
    events, ids = Event.objects.count(), ReceivedEventId.objects.count()
    batch = row_params(rows(500))
    broken = list(batch[250])
    broken[3] = None  # occurred_at is NOT NULL
    batch[250] = tuple(broken)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_batch(batch)
    assert Event.objects.count() == events
    assert ReceivedEventId.objects.count() == ids
    assert store_rows(rows(2)) == 2  # the connection is usable after the failure


def test_an_empty_batch_writes_nothing() -> None:
    assert insert_batch([]) == 0
    assert store_rows([]) == 0


@pytest.mark.postgresql
def test_one_batch_spanning_months_lands_in_each_month_s_partition() -> None:
    at = datetime(2032, 3, 31, 23, 59, tzinfo=UTC)
    maintain(at, ahead=1, retention_months=None)  # March and April 2032
    march, april, june = (
        rows(3, at=at),
        rows(2, at=at + timedelta(minutes=2)),
        rows(1, at=at + timedelta(days=70)),
    )
    assert store_rows(march + april + june) == 6
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text, COUNT(*) FROM {Event._meta.db_table} GROUP BY 1"
        )
        by_partition = dict(cursor.fetchall())
    assert by_partition == {
        Month(2032, 3).partition: 3,
        Month(2032, 4).partition: 2,
        f"{Event._meta.db_table}_default": 1,
    }


@pytest.mark.postgresql
def test_postgresql_stores_a_batch_with_one_statement() -> None:
    from django.test.utils import CaptureQueriesContext

    batch = row_params(rows(500))
    with CaptureQueriesContext(connection) as queries:
        assert insert_batch(batch) == 500
    assert len(queries.captured_queries) == 1
    assert "unnest(" in queries.captured_queries[0]["sql"]


def test_awkward_values_are_stored_exactly_as_sent() -> None:
    """Text an array literal would have to escape (quotes, backslashes, braces, commas, the
    word NULL, non-ASCII), numbers beside missing ones and nested JSON come back unchanged."""
    when = datetime.now(UTC)
    awkward = ['/a"b', "/c\\d", "/{e,f}", "/NULL", "/ünï €", "/ ", "/'q'"]
    who = VisitorColumns("c" * 32, industry="saas", persona='pe"r,so{n}a')
    batch = [
        EventRow(
            uuid.uuid4(),
            "cta_click",
            when,
            when,
            page,
            who,
            block="b\\l{o}ck",
            value=None if i % 2 else i + 0.25,
            properties={"k": page, "n": i, "nested": {"x": [1, "y\\"]}} if i % 3 else {},
        )
        for i, page in enumerate(awkward)
    ]
    assert store_rows(batch) == len(batch)
    for row in batch:
        stored = Event.objects.get(event_id=row.event_id)
        assert (stored.page, stored.persona, stored.block) == (row.page, who.persona, row.block)
        assert (stored.value, stored.properties) == (row.value, row.properties)


@pytest.mark.postgresql
def test_postgresql_binds_the_batch_s_values_apart_from_the_statement() -> None:
    """The arrays are bound parameters (not quoted into the SQL text in Python): the text
    holds none of the values and is the same for every batch, so the server can keep it
    prepared."""
    from django.test.utils import CaptureQueriesContext

    first, second = row_params(rows(5)), row_params(rows(7, visitor="d" * 32))
    with CaptureQueriesContext(connection) as queries:
        assert insert_batch(first) == 5
        assert insert_batch(second) == 7
    texts = [q["sql"] for q in queries.captured_queries]
    assert texts[0] == texts[1]
    assert str(first[0][0]) not in texts[0]
    assert "b" * 32 not in texts[0]
