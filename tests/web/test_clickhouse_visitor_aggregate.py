"""The ClickHouse per-visitor aggregate the reports read (``events_visitors``).

A materialized view adds each insert's events to it; the reports decide at query time
which facts came after the visitor's first exposure, so the order in which events arrive
(facts before the exposure, one visitor's events spread over many inserts, an earlier
exposure arriving last) must not change a number. The expected sums are worked out by
hand from the events below; ``test_event_store_parity.py`` holds the whole report to the
relational store's.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from persx.analytics.rollup_statistics import counting_rules
from persx.events.event_row import EVENT_COLUMNS
from persx.eventstore.clickhouse_store import ClickHouseEventStore
from persx.eventstore.port import Scope, Sums
from persx.eventstore.schema import backfill_statement, schema_statements
from persx.eventstore.selection import clickhouse_store
from tests.web.analytics_events import EventLog, at
from tests.web.clickhouse_support import drop_schema

EXPERIMENT = "exp-aggregate"
METRICS = (
    "engagement",
    "form_submission",
    "cta_click",
    "bounce",
    "return_visit",
    "form_completion",
)


@pytest.fixture
def columnar() -> Iterator[ClickHouseEventStore]:
    store = clickhouse_store("chdb://")
    drop_schema(store)
    store.create_schema(retention_months=None)
    yield store
    drop_schema(store)


def rows(log: EventLog) -> list[list[Any]]:
    return [[getattr(e, column) for column in EVENT_COLUMNS] for e in log.rows]


def history() -> list[list[Any]]:
    """Visitor "a" (saas, control) and "b" (fintech, personalized), in time order."""
    log = EventLog()
    log.event("cta_click", "a", at(0, minute=-30))  # before the exposure: not counted
    log.event("page_view", "a", at(0))
    log.exposure("a", at(0, minute=1), experiment=EXPERIMENT, arm="control", industry="saas")
    log.event("engagement", "a", at(0, minute=5), value=10.0)
    log.event("form_start", "a", at(0, minute=6))
    log.event("form_submission", "a", at(0, minute=8))
    log.event("page_view", "a", at(3))  # a return visit three days later
    log.exposure("b", at(1), experiment=EXPERIMENT, arm="personalized", industry="fintech")
    log.event("page_view", "b", at(1))  # b's only page view: a bounce
    log.event("engagement", "b", at(1, minute=2), value=3.0)
    log.event("engagement", "b", at(1, minute=3), value=3.0)  # same value, another event
    return rows(log)


# By hand: a converts on engagement (10 s), form_submission, form_completion (started,
# then submitted; b never started: not in its denominator), return_visit (day 3 is inside
# 7 days), not on cta_click (clicked before the exposure), no bounce (two page views); b
# on engagement (3 + 3 s: q = 6² = 36) and bounce.
EXPECTED = {
    ("control", "saas", "cta_click"): Sums(1, 0, 0.0, 0.0),
    ("personalized", "fintech", "cta_click"): Sums(1, 0, 0.0, 0.0),
    ("control", "saas", "engagement"): Sums(1, 1, 10.0, 100.0),
    ("control", "saas", "form_submission"): Sums(1, 1, 0.0, 0.0),
    ("control", "saas", "form_completion"): Sums(1, 1, 0.0, 0.0),
    ("control", "saas", "return_visit"): Sums(1, 1, 0.0, 0.0),
    ("control", "saas", "bounce"): Sums(1, 0, 0.0, 0.0),
    ("personalized", "fintech", "engagement"): Sums(1, 1, 6.0, 36.0),
    ("personalized", "fintech", "form_submission"): Sums(1, 0, 0.0, 0.0),
    ("personalized", "fintech", "return_visit"): Sums(1, 0, 0.0, 0.0),
    ("personalized", "fintech", "bounce"): Sums(1, 1, 0.0, 0.0),
}


def sums(store: ClickHouseEventStore) -> dict[tuple[str, str, str], Sums]:
    """The report's sums once the cells are refreshed (as ``persx_rollup`` does)."""
    store.refresh_report_cells(counting_rules())
    return store.arm_segment_sums(Scope(EXPERIMENT, METRICS, counting_rules()))


def test_one_insert_in_time_order(columnar: ClickHouseEventStore) -> None:
    columnar.append(history())
    assert sums(columnar) == EXPECTED


def test_facts_before_the_exposure_and_one_event_per_insert(
    columnar: ClickHouseEventStore,
) -> None:
    # No background merge meanwhile: the query itself must merge a visitor's rows.
    columnar.session.command(f"SYSTEM STOP MERGES {columnar.visitors_table}")
    for row in reversed(history()):  # every fact arrives before its visitor's exposure
        columnar.append([row])
    assert sums(columnar) == EXPECTED
    parts = columnar.session.rows(
        f"SELECT count() FROM {columnar.visitors_table} WHERE visitor_id = 'a'"
    )[0][0]
    assert int(parts) > 1  # the inserts' rows are still apart: the query merges them
    columnar.session.command(f"SYSTEM START MERGES {columnar.visitors_table}")
    columnar.session.command(f"OPTIMIZE TABLE {columnar.visitors_table} FINAL")
    assert sums(columnar) == EXPECTED  # and once ClickHouse has merged them


def test_an_earlier_exposure_arriving_last_moves_the_entry(
    columnar: ClickHouseEventStore,
) -> None:
    columnar.append(history())
    late = EventLog().exposure(
        "a", at(0, minute=-40), experiment=EXPERIMENT, arm="control", industry="saas"
    )
    columnar.append(rows(late))
    # a entered 40 minutes earlier: the click at -30 now comes after the exposure.
    assert sums(columnar) == EXPECTED | {("control", "saas", "cta_click"): Sums(1, 1, 0.0, 0.0)}


def test_a_replayed_batch_counts_once(columnar: ClickHouseEventStore) -> None:
    events = history()
    columnar.append(events)
    columnar.append(events[7:])  # b's events again, same ids
    assert sums(columnar) == EXPECTED


def test_an_erasure_removes_the_visitor_from_the_aggregate(
    columnar: ClickHouseEventStore,
) -> None:
    columnar.append(history())
    columnar.forget_visitors(["a"])
    left = columnar.session.rows(
        f"SELECT DISTINCT visitor_id FROM {columnar.visitors_table} ORDER BY visitor_id"
    )
    assert left == [("b",)]
    assert sums(columnar) == {k: v for k, v in EXPECTED.items() if k[0] != "control"}


def test_the_backfill_fills_the_aggregate_from_raw_events_and_can_run_again(
    columnar: ClickHouseEventStore,
) -> None:
    # Raw events stored before the view existed: the aggregate starts empty.
    columnar.session.command(f"DROP TABLE {columnar.visitors_table}_mv")
    columnar.session.command(f"DROP TABLE {columnar.visitors_table}")
    events = history()
    columnar.append(events)
    columnar.create_schema(retention_months=None)
    assert sums(columnar) == {}
    columnar.backfill_aggregate()
    assert sums(columnar) == EXPECTED
    columnar.append(events[:3])  # the view takes new rows (here replays) meanwhile
    columnar.backfill_aggregate()  # and a second backfill adds nothing
    assert sums(columnar) == EXPECTED


def test_the_store_refuses_rules_the_aggregate_does_not_count(
    columnar: ClickHouseEventStore,
) -> None:
    import dataclasses

    rules = dataclasses.replace(counting_rules(), exposure="impression")
    with pytest.raises(ValueError, match="'exposure' and 'page_view'"):
        columnar.arm_segment_sums(Scope(EXPERIMENT, METRICS, rules))


def test_the_cluster_schema_aggregates_per_shard_and_distributes() -> None:
    text = "\n".join(schema_statements("persx", 13, cluster="main"))
    assert (
        "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/persx/events_visitors_local'"
        in text
    )
    assert "TO persx.events_visitors_local" in text
    assert "FROM persx.events_local" in text  # each shard's view reads its own raw rows
    assert "Distributed('main', persx, events_visitors_local, cityHash64(visitor_id))" in text
    assert "TTL toStartOfMonth(last_at) + INTERVAL 14 MONTH DELETE" in text
    single = "\n".join(schema_statements("persx", None))
    assert "ENGINE = AggregatingMergeTree" in single
    assert "TTL" not in single
    assert backfill_statement("persx").startswith("INSERT INTO persx.events_visitors SELECT")
    assert "FROM persx.events\n" in backfill_statement("persx")


def test_the_schema_command_backfills_the_aggregate(columnar: ClickHouseEventStore) -> None:
    columnar.session.command(f"DROP TABLE {columnar.visitors_table}_mv")
    columnar.session.command(f"DROP TABLE {columnar.visitors_table}")
    columnar.append(history())  # stored by a version without the aggregate
    out = StringIO()
    with override_settings(
        PERSX={**settings.PERSX, "EVENT_STORE": "clickhouse", "CLICKHOUSE_URL": "chdb://"}
    ):
        call_command("persx_clickhouse_schema", "--backfill", stdout=out)
    assert "Per-visitor aggregate filled: persx.events_visitors" in out.getvalue()
    assert sums(columnar) == EXPECTED


def test_the_schema_command_prints_the_backfill() -> None:
    out = StringIO()
    call_command("persx_clickhouse_schema", "--print", "--backfill", stdout=out)
    printed = out.getvalue()
    assert "CREATE MATERIALIZED VIEW IF NOT EXISTS persx.events_visitors_mv" in printed
    assert printed.rstrip().endswith("GROUP BY visitor_id, experiment;")
    assert "INSERT INTO persx.events_visitors SELECT" in printed
