"""The events table's monthly partitions on PostgreSQL (persx/events/partitions.py).

The PostgreSQL tests work in months far from today (2031) so the partitions the migration
made for the current months do not interfere; everything runs inside the test's
transaction, DDL included, and is rolled back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from persx.analytics.models import DailyRollup, ExperimentVisitor
from persx.analytics.services import update_rollups
from persx.config import config
from persx.engine.visitor.profile import VisitorProfile
from persx.events.event_row import EventRow, VisitorColumns
from persx.events.models import Event, ReceivedEventId
from persx.events.partitions import (
    DEFAULT_PARTITION,
    Month,
    maintain,
    month_of_partition,
    monthly_partitions,
    retention_cutoff,
)
from persx.events.schemas import ClientEvent
from persx.events.services import store_client_events, store_rows

NOW = datetime(2031, 5, 15, 12, 0, tzinfo=UTC)


def client_event(event_id: uuid.UUID, occurred_at: datetime) -> ClientEvent:
    return ClientEvent.model_validate(
        {"event_id": str(event_id), "type": "cta_click", "occurred_at": occurred_at, "page": "/"}
    )


def profile(visitor_id: str = "a" * 32) -> VisitorProfile:
    return VisitorProfile(visitor_id, industry="saas")


def partition_of(event_id: uuid.UUID) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {Event._meta.db_table} WHERE event_id = %s",
            [event_id],
        )
        return str(cursor.fetchone()[0])


def tables_named(like: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind IN ('r', 'p') "
            "ORDER BY relname",
            [like],
        )
        return [row[0] for row in cursor.fetchall()]


# --- everywhere -----------------------------------------------------------------------------


def test_month_arithmetic_crosses_years() -> None:
    assert Month(2031, 11).plus(3) == Month(2032, 2)
    assert Month(2031, 1).plus(-1) == Month(2030, 12)
    assert Month(2031, 12).end == datetime(2032, 1, 1, tzinfo=UTC)
    assert Month.of(datetime(2031, 6, 1, 1, 30, tzinfo=UTC) - timedelta(hours=2)) == Month(2031, 5)
    assert month_of_partition(Month(2031, 2).partition) == Month(2031, 2)
    assert month_of_partition(DEFAULT_PARTITION) is None


def test_retention_keeps_whole_months_before_the_current_one() -> None:
    assert retention_cutoff(NOW, 13) == datetime(2030, 4, 1, tzinfo=UTC)
    assert retention_cutoff(NOW, 1) == datetime(2031, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "months"), [("13", 13), ("none", None), ("", None), (2, 2)])
def test_retention_setting(raw: object, months: int | None) -> None:
    from django.conf import settings

    with override_settings(PERSX={**settings.PERSX, "EVENTS_RETENTION_MONTHS": raw}):
        assert config().events_retention_months == months


def test_retention_setting_refuses_zero() -> None:
    from django.conf import settings

    zero = {**settings.PERSX, "EVENTS_RETENTION_MONTHS": "0"}
    with override_settings(PERSX=zero), pytest.raises(ValueError, match="RETENTION"):
        config()


@pytest.mark.parametrize("args", [["--ahead", "-1"], ["--retention-months", "0"]])
def test_command_refuses_bad_arguments(args: list[str]) -> None:
    with pytest.raises(CommandError, match=args[0]):
        call_command("persx_events_partitions", *args)


@pytest.mark.django_db
def test_command_on_sqlite_says_there_is_nothing_to_do_and_on_postgresql_works() -> None:
    out = StringIO()
    call_command("persx_events_partitions", "--dry-run", stdout=out)
    partitioned = connection.vendor == "postgresql"
    assert ("not partitioned" in out.getvalue()) is not partitioned


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db
def test_inserts_go_to_their_month_and_unknown_months_to_the_default_partition() -> None:
    maintain(NOW, ahead=1, retention_months=None)
    assert {Month(2031, 5), Month(2031, 6)} <= set(monthly_partitions())
    may, june, august = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    stored = store_client_events(
        [
            client_event(may, datetime(2031, 5, 31, 23, 59, 59, tzinfo=UTC)),
            client_event(june, datetime(2031, 6, 1, 0, 0, 0, tzinfo=UTC)),
        ],
        profile(),
        received_at=datetime(2031, 6, 1, 0, 0, 1, tzinfo=UTC),
    )
    late = datetime(2031, 8, 2, tzinfo=UTC)  # no partition for August yet
    stored_late = store_client_events([client_event(august, late)], profile(), late)
    assert stored_late.accepted == 1
    assert stored.accepted == 2
    assert partition_of(may) == Month(2031, 5).partition
    assert partition_of(june) == Month(2031, 6).partition
    assert partition_of(august) == DEFAULT_PARTITION  # kept, not refused

    done = maintain(datetime(2031, 6, 3, tzinfo=UTC), ahead=0, retention_months=None)
    assert done.adopted == {Month(2031, 8): 1}
    assert partition_of(august) == Month(2031, 8).partition
    assert Event.objects.filter(event_id__in=[may, june, august]).count() == 3


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_replay_is_a_duplicate_across_a_month_boundary() -> None:
    maintain(NOW, ahead=1, retention_months=None)
    event_id = uuid.uuid4()
    first = store_client_events(
        [client_event(event_id, datetime(2031, 5, 31, 23, 59, 59, tzinfo=UTC))],
        profile(),
        received_at=datetime(2031, 6, 1, 0, 0, 1, tzinfo=UTC),
    )
    # The same event again, re-stamped by the client into June: another partition, and
    # still the same event.
    replay = store_client_events(
        [client_event(event_id, datetime(2031, 6, 1, 0, 0, 2, tzinfo=UTC))],
        profile(),
        received_at=datetime(2031, 6, 1, 0, 5, tzinfo=UTC),
    )
    assert (first.accepted, first.duplicates) == (1, 0)
    assert (replay.accepted, replay.duplicates) == (0, 1)
    assert Event.objects.filter(event_id=event_id).count() == 1
    assert partition_of(event_id) == Month(2031, 5).partition
    # Remembered for as long as a replay could still be accepted.
    until = ReceivedEventId.objects.get(event_id=event_id).replayable_until
    assert until > datetime(2031, 6, 7, 23, 59, tzinfo=UTC)


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_batch_repeating_an_id_stores_it_once() -> None:
    maintain(NOW, ahead=0, retention_months=None)
    event_id = uuid.uuid4()
    when = datetime(2031, 5, 10, tzinfo=UTC)
    stored = store_client_events(
        [client_event(event_id, when), client_event(event_id, when)], profile(), NOW
    )
    assert (stored.accepted, stored.duplicates) == (1, 1)


def _exposures_and_clicks(month: Month, visitors: int) -> list[EventRow]:
    rows = []
    for i in range(visitors):
        who = VisitorColumns(f"{month}-{i}".ljust(32, "x")[:32], industry="saas")
        at = month.start + timedelta(days=3, hours=i)
        rows.append(
            EventRow(
                uuid.uuid4(),
                "exposure",
                at,
                at,
                "/contact/",
                who,
                block="contact_form",
                variant="industry:saas",
                reason="industry_match",
                experiment="retention-exp",
                arm="variant",
            )
        )
        if i % 2 == 0:
            click = at + timedelta(minutes=5)
            rows.append(EventRow(uuid.uuid4(), "cta_click", click, click, "/", who))
    return rows


@pytest.mark.postgresql
@pytest.mark.django_db
def test_retention_drops_old_months_whole_and_leaves_their_rollups() -> None:
    old, kept = Month(2030, 1), Month(2031, 4)
    maintain(datetime(2030, 1, 10, tzinfo=UTC), ahead=0, retention_months=None)
    maintain(NOW, ahead=0, retention_months=None)
    store_rows(_exposures_and_clicks(old, 4) + _exposures_and_clicks(kept, 6))
    store_rows(_exposures_and_clicks(Month(2029, 6), 2))  # only in the default partition
    update_rollups()
    rollups_before = sorted(
        DailyRollup.objects.filter(experiment="retention-exp").values_list(
            "day", "metric", "visitors", "conversions"
        )
    )
    assert {day.month for day, *_ in rollups_before} == {1, 4, 6}

    done = maintain(NOW, ahead=0, retention_months=13)  # keeps April 2030 onwards

    assert Month(2030, 1) in done.dropped
    assert done.default_rows_deleted == 3  # June 2029: 2 exposures + 1 click
    assert old.partition not in tables_named("persx_events_event_y%")
    assert kept.partition in tables_named("persx_events_event_y%")
    events = Event.objects.filter(experiment="retention-exp")
    assert not events.filter(occurred_at__lt=datetime(2030, 4, 1, tzinfo=UTC)).exists()
    assert events.filter(occurred_at__gte=kept.start).count() == 6
    # The rollups of the dropped month stay, and a later update changes nothing.
    update_rollups()
    rollups_after = sorted(
        DailyRollup.objects.filter(experiment="retention-exp").values_list(
            "day", "metric", "visitors", "conversions"
        )
    )
    assert rollups_after == rollups_before
    assert ExperimentVisitor.objects.filter(experiment="retention-exp").count() == 12


@pytest.mark.postgresql
@pytest.mark.django_db
def test_dry_run_changes_nothing() -> None:
    before = monthly_partitions()
    out = StringIO()
    call_command("persx_events_partitions", "--ahead", "60", "--dry-run", stdout=out)
    assert "would: created partition" in out.getvalue()
    assert monthly_partitions() == before


@pytest.mark.postgresql
@pytest.mark.django_db
def test_command_creates_months_ahead_and_is_idempotent() -> None:
    out = StringIO()
    call_command(
        "persx_events_partitions", "--ahead", "5", "--retention-months", "none", stdout=out
    )
    current = Month.of(datetime.now(UTC))
    assert {current.plus(i) for i in range(6)} <= set(monthly_partitions())
    again = StringIO()
    call_command(
        "persx_events_partitions", "--ahead", "5", "--retention-months", "none", stdout=again
    )
    assert "created" not in again.getvalue()
