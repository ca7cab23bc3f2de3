"""The ClickHouse per-visitor aggregate (``events_visitors``) and the report cells refreshed
from it (``events_contributions``, ``events_cells``).

A materialized view adds each insert's events to the aggregate; the refresh decides which
facts came after the visitor's first exposure, so the order in which events arrive (facts
before the exposure, one visitor's events spread over many inserts, an earlier exposure
arriving last, after a refresh) must not change a number; an incremental refresh must give
what a refresh from scratch gives. The expected sums are worked out by hand from the
events below; ``test_event_store_parity.py`` holds the whole report to the relational
store's.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from persx.analytics import report_queries
from persx.analytics.rollup_statistics import counting_rules
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.events.event_row import EVENT_COLUMNS
from persx.eventstore.clickhouse_store import LATE_COMMIT_MARGIN_S, ClickHouseEventStore
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
    # In-process inserts are written when append returns: no late commit to wait for, so
    # each refresh takes only the visitors changed since the previous one.
    store.late_commit_margin_s = 0
    yield store
    store.late_commit_margin_s = LATE_COMMIT_MARGIN_S
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
    return read(store)


def read(store: ClickHouseEventStore) -> dict[tuple[str, str, str], Sums]:
    """The report's sums as the cells stand (no refresh)."""
    store.forget_held_cells()
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
    assert sums(columnar) == EXPECTED
    columnar.forget_visitors(["a"])
    # The cells forget a at once, before any refresh.
    assert read(columnar) == {k: v for k, v in EXPECTED.items() if k[0] != "control"}
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


def test_a_report_is_as_fresh_as_the_last_refresh(columnar: ClickHouseEventStore) -> None:
    columnar.append(history())
    assert read(columnar) == {}  # never refreshed: no cells yet
    assert columnar.cells_refreshed_at(counting_rules()) is None
    assert sums(columnar) == EXPECTED
    assert columnar.cells_refreshed_at(counting_rules()) is not None
    late = EventLog().exposure(
        "a", at(0, minute=-40), experiment=EXPERIMENT, arm="control", industry="saas"
    )
    columnar.append(rows(late))
    assert read(columnar) == EXPECTED  # stored, not yet refreshed
    refresh = columnar.refresh_report_cells(counting_rules())
    assert (refresh.full, refresh.visitors) == (False, 1)  # only a changed
    assert read(columnar) == EXPECTED | {("control", "saas", "cta_click"): Sums(1, 1, 0.0, 0.0)}


def test_an_incremental_refresh_gives_what_a_refresh_from_scratch_gives(
    columnar: ClickHouseEventStore,
) -> None:
    events = history()
    columnar.append(events[:4])  # a's first events
    assert columnar.refresh_report_cells(counting_rules()).full
    columnar.append(events[4:9])  # the rest of a, b's exposure and page view
    columnar.append(events[:2])  # a replay
    assert columnar.refresh_report_cells(counting_rules()).visitors == 2
    more = EventLog()
    more.event("engagement", "b", at(2), value=4.0)  # b engages again a day later
    more.event("form_start", "b", at(2, minute=1))  # starts the form, never submits
    columnar.append(events[9:] + rows(more))
    refresh = columnar.refresh_report_cells(counting_rules())
    assert (refresh.full, refresh.visitors, refresh.experiments) == (
        False,
        1,
        ("exp-aggregate", "global-holdout"),
    )
    # By hand: b's engagement is now 3 + 3 + 4 s (q = 10²); b started the form: in form
    # completion's denominator, not converted, and no longer a bounce (an interaction).
    expected = EXPECTED | {
        ("personalized", "fintech", "engagement"): Sums(1, 1, 10.0, 100.0),
        ("personalized", "fintech", "form_completion"): Sums(1, 0, 0.0, 0.0),
        ("personalized", "fintech", "bounce"): Sums(1, 0, 0.0, 0.0),
    }
    incremental = read(columnar)
    assert incremental == expected
    for table in (columnar.contributions_table, columnar.cells_table, columnar.refreshes_table):
        columnar.session.command(f"DROP TABLE {table}")
    columnar.create_schema(retention_months=None)
    assert columnar.refresh_report_cells(counting_rules()).full
    assert read(columnar) == incremental


def test_a_late_exposure_whose_consent_does_not_count_takes_the_visitor_out(
    columnar: ClickHouseEventStore,
) -> None:
    columnar.append(history())
    assert sums(columnar) == EXPECTED
    assert "denied" not in counting_rules().counted_consents
    late = EventLog().exposure(
        "a", at(0, minute=-40), experiment=EXPERIMENT, arm="control", consent="denied"
    )
    columnar.append(rows(late))  # a's first exposure now: consent at entry did not count
    assert sums(columnar) == {k: v for k, v in EXPECTED.items() if k[0] != "control"}


def test_other_counting_rules_get_their_own_cells(columnar: ClickHouseEventStore) -> None:
    columnar.append(history())
    assert sums(columnar) == EXPECTED
    strict = dataclasses.replace(counting_rules(), counted_consents=("granted",))
    refresh = columnar.refresh_report_cells(strict)
    assert refresh.full  # the first refresh under these rules takes every visitor
    assert columnar.arm_segment_sums(Scope(EXPERIMENT, METRICS, strict)) == {}
    assert read(columnar) == EXPECTED  # the default rules' cells are untouched


@pytest.mark.django_db
def test_persx_rollup_refreshes_the_cells(columnar: ClickHouseEventStore) -> None:
    columnar.append(history())
    out = StringIO()
    with override_settings(
        PERSX={**settings.PERSX, "EVENT_STORE": "clickhouse", "CLICKHOUSE_URL": "chdb://"}
    ):
        assert report_queries.rollup_state() == (None, 0)  # never refreshed
        call_command("persx_rollup", stdout=out)
        # The report's footer shows when the cells were refreshed: what it is as fresh as.
        refreshed = columnar.cells_refreshed_at(counting_rules())
        assert refreshed is not None
        assert report_queries.rollup_state() == (refreshed, 0)
        report = StringIO()
        call_command("persx_report", HOLDOUT_EXPERIMENT, stdout=report)
        assert "counted from ClickHouse report cells" in report.getvalue()
        assert "rollups up to event" not in report.getvalue()
    assert "Refreshed the ClickHouse report cells: 2 changed visitors, 2 experiments" in (
        out.getvalue()
    )
    assert read(columnar) == EXPECTED


def test_a_store_from_before_the_cells_upgrades_as_the_readme_says(
    columnar: ClickHouseEventStore,
) -> None:
    """deploy/clickhouse/README.md: drop the view, run the schema again, then refresh."""
    view = f"{columnar.visitors_table}_mv"
    columnar.session.command(f"DROP TABLE {view}")
    columnar.session.command(f"ALTER TABLE {columnar.visitors_table} DROP COLUMN changed_at")
    old_select = backfill_statement("persx").split(" ", 3)[3]  # the view's body, as now
    old_select = re.sub(r",\s*(--[^\n]*\s*)*max\(now64\(6, 'UTC'\)\) AS changed_at", "", old_select)
    assert "changed_at" not in old_select
    columnar.session.command(
        f"CREATE MATERIALIZED VIEW {view} TO {columnar.visitors_table} AS {old_select}"
    )
    events = history()
    columnar.append(events[:7])  # a's events, through the view of before
    columnar.session.command(f"DROP VIEW {view}")
    columnar.create_schema(retention_months=None)
    columnar.append(events[7:])  # b's, through the new view
    assert sums(columnar) == EXPECTED


def test_the_store_refuses_rules_the_aggregate_does_not_count(
    columnar: ClickHouseEventStore,
) -> None:
    rules = dataclasses.replace(counting_rules(), exposure="impression")
    with pytest.raises(ValueError, match="'exposure' and 'page_view'"):
        columnar.arm_segment_sums(Scope(EXPERIMENT, METRICS, rules))
    with pytest.raises(ValueError, match="'exposure' and 'page_view'"):
        columnar.refresh_report_cells(rules)


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
    # The report cells: contributions per shard beside their visitors' aggregate rows.
    assert (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/persx/events_contributions_local',"
        " '{replica}', refresh)" in text
    )
    assert "Distributed('main', persx, events_contributions_local, cityHash64(visitor_id))" in text
    assert "Distributed('main', persx, events_cells_local, cityHash64(experiment))" in text
    assert "ADD COLUMN IF NOT EXISTS changed_at" in text
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
