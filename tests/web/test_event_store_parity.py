"""Parity: one planted history gives the same report on the relational store and ClickHouse.

The history goes into the suite's database (SQLite in the first pass of ``make test``,
PostgreSQL in its PostgreSQL + Redis pass, which ``scripts/test_services.py`` requires
under CI=true) and into ClickHouse (chDB: the real ClickHouse engine in-process). The
relational side is read through the rollups (``rebuild_rollups``), the ClickHouse side
from its report cells, refreshed from its per-visitor aggregate (kept by a materialized
view at every insert), whether the events arrive in one insert or backwards in many, and
whether the cells were refreshed once or once per insert; every number of both
reports (counts, lifts, intervals, p-values, chances to win, series, variants) must agree
to 1e-9.

The history is built to reach every counting rule: late-arriving earlier exposures (the
first exposure wins), conversions before the exposure (not counted), repeat exposures,
return visits inside and outside the 7-day window, bounces, form starts without a
submission and submissions without a start, engagement seconds, visitors whose consent
does not count, events without a visitor id, natural exposures (the holdout's "rest"),
and, on ClickHouse only, a replayed batch (the same event ids again).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.test import override_settings

from persx.analytics import report_queries
from persx.analytics.reports import build_report
from persx.analytics.rollup_statistics import counting_rules
from persx.analytics.services import rebuild_rollups
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.events.event_row import EVENT_COLUMNS
from persx.events.models import Event
from persx.eventstore.clickhouse_store import ClickHouseEventStore
from persx.eventstore.selection import clickhouse_store
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, at, measured_experiment
from tests.web.clickhouse_support import drop_schema

pytestmark = pytest.mark.django_db

CHDB_URL = "chdb://"
EXPERIMENT = "exp-parity"
INDUSTRIES = ("saas", "fintech", "healthcare", "")
CONSENTS = ("granted", "unknown", "denied")
TOLERANCE = 1e-9


@pytest.fixture
def columnar() -> Iterator[ClickHouseEventStore]:
    store = clickhouse_store(CHDB_URL)
    drop_schema(store)
    store.create_schema(retention_months=None)
    yield store
    drop_schema(store)


def clickhouse_settings() -> Any:
    from django.conf import settings

    return override_settings(
        PERSX={**settings.PERSX, "EVENT_STORE": "clickhouse", "CLICKHOUSE_URL": CHDB_URL}
    )


def plant_history(seed: int = 18, visitors: int = 160) -> list[Event]:
    """Unsaved events of ``visitors`` visitors over two weeks (see the module docstring)."""
    rng = np.random.default_rng(seed)
    log = EventLog()
    late: list[Event] = []  # earlier exposures that arrive after everything else
    industry = rng.choice(len(INDUSTRIES), size=visitors, p=(0.35, 0.3, 0.2, 0.15))
    consent = rng.choice(len(CONSENTS), size=visitors, p=(0.5, 0.4, 0.1))
    day = rng.integers(0, 10, size=visitors)
    in_experiment = rng.random(visitors) < 0.7
    held_out = rng.random(visitors) < 0.2
    personalized = rng.random(visitors) < 0.5
    draws = rng.random((visitors, 10))
    seconds = rng.gamma(2.0, 20.0, size=visitors)
    for i in range(visitors):
        visitor = f"v{i:04d}"
        slug = INDUSTRIES[industry[i]]
        who = {"industry": slug, "consent": CONSENTS[consent[i]]}
        start = at(int(day[i]), hour=9, minute=int(i % 50))
        arm = "personalized" if personalized[i] else "control"
        u = draws[i]
        if u[0] < 0.1:  # a conversion before any exposure: not counted
            log.event("form_submission", visitor, start - timedelta(minutes=30))
        log.event("page_view", visitor, start)
        if in_experiment[i]:
            log.exposure(visitor, start, experiment=EXPERIMENT, arm=arm, **who)
            if u[1] < 0.15:  # seen again later
                again = start + timedelta(hours=5)
                log.exposure(visitor, again, experiment=EXPERIMENT, arm=arm, **who)
            if u[2] < 0.1:  # an exposure an hour earlier, stored last: it is the first one
                early = EventLog().exposure(
                    visitor, start - timedelta(hours=1), experiment=EXPERIMENT, arm=arm, **who
                )
                late.extend(early.rows)
        # One minute after the experiment's exposure: the stores break ties between
        # exposures of the same instant differently (arrival order, event id).
        shown = start + timedelta(minutes=1)
        if held_out[i]:
            log.exposure(visitor, shown, experiment=HOLDOUT_EXPERIMENT, arm="holdout", **who)
        else:
            log.natural_exposure(visitor, shown, industry=slug)
            log.rows[-1].consent = who["consent"]
        later = start + timedelta(minutes=3)  # after every exposure
        if u[3] < 0.35:
            log.event("form_start", visitor, later)
        if u[4] < 0.3 if not personalized[i] else u[4] < 0.42:
            log.event("form_submission", visitor, later + timedelta(minutes=2))
        if u[5] < 0.25:
            log.event("cta_click", visitor, later + timedelta(minutes=1))
        if u[6] < 0.6:
            log.event("engagement", visitor, later, value=round(float(seconds[i]), 3))
            if u[6] < 0.2:
                log.event("engagement", visitor, later + timedelta(minutes=4), value=7.25)
        if u[7] < 0.3:  # a return visit 1-10 days later (inside or outside the window)
            log.event("page_view", visitor, start + timedelta(days=1 + int(u[8] * 10)))
        if u[9] < 0.1:
            log.event("email_signup", visitor, later + timedelta(minutes=6))
    log.event("page_view", "", at(3))  # no visitor id: never counted
    log.event("form_submission", "", at(3, minute=5))
    return [*log.rows, *late]


def clickhouse_rows(events: list[Event]) -> list[list[Any]]:
    return [[getattr(e, column) for column in EVENT_COLUMNS] for e in events]


def assert_same(relational: Any, columnar: Any, where: str = "report") -> None:
    """Equal structure; numbers equal to TOLERANCE (relative above 1), NaN equal to NaN."""
    if dataclasses.is_dataclass(relational) and not isinstance(relational, type):
        assert dataclasses.is_dataclass(columnar), where
        for field in dataclasses.fields(relational):
            if field.name in ("generated_at", "rollups_updated_at", "last_event_id"):
                continue  # when the report was made, and the relational rollup's position
            assert_same(
                getattr(relational, field.name),
                getattr(columnar, field.name),
                f"{where}.{field.name}",
            )
    elif isinstance(relational, dict):
        assert set(relational) == set(columnar), where
        for key in relational:
            assert_same(relational[key], columnar[key], f"{where}[{key!r}]")
    elif isinstance(relational, list | tuple):
        assert len(relational) == len(columnar), where
        for i, (a, b) in enumerate(zip(relational, columnar, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(relational, float) and not isinstance(relational, bool):
        assert isinstance(columnar, int | float), where
        if math.isnan(relational):
            assert math.isnan(columnar), where
        else:
            assert columnar == pytest.approx(relational, rel=TOLERANCE, abs=TOLERANCE), where
    else:
        assert relational == columnar, where


def make_experiment() -> Experiment:
    invalidate_experiments()
    return measured_experiment(
        EXPERIMENT,
        "Parity",
        status=Experiment.Status.STOPPED,
        secondary_metrics=[
            "cta_click",
            "engagement",
            "form_completion",
            "bounce",
            "return_visit",
            "email_signup",
        ],
        sequential_tuning_n=2000,
    )


def reports_on_both_stores(
    columnar: ClickHouseEventStore, append: Callable[[list[list[Any]]], None]
) -> tuple[list[Any], list[Any], Any, Any]:
    """The planted history in the relational store (rollups) and, through ``append``, in
    ClickHouse; both stores' reports and visitor counts."""
    make_experiment()
    history = plant_history()
    Event.objects.bulk_create(history)
    rebuild_rollups()
    append(clickhouse_rows(history))
    columnar.refresh_report_cells(counting_rules())  # what persx_rollup does
    designs = [report_queries.find_design(EXPERIMENT), report_queries.holdout_design()]
    keys = [EXPERIMENT, HOLDOUT_EXPERIMENT]
    relational = [build_report(d) for d in designs if d is not None]
    relational_visitors = report_queries.visitors_per_experiment(keys)
    with clickhouse_settings():
        assert report_queries.columnar_store() is columnar
        on_clickhouse = [build_report(d) for d in designs if d is not None]
        clickhouse_visitors = report_queries.visitors_per_experiment(keys)
    invalidate_experiments()
    return relational, on_clickhouse, relational_visitors, clickhouse_visitors


def test_the_same_history_gives_the_same_reports_on_both_stores(
    columnar: ClickHouseEventStore,
) -> None:
    def append(rows: list[list[Any]]) -> None:
        assert columnar.append(rows) == len(rows)
        columnar.append(rows[100:140])  # a client resending a batch

    relational, on_clickhouse, relational_visitors, clickhouse_visitors = reports_on_both_stores(
        columnar, append
    )

    # The history reaches what it should: both arms, several days, every metric counted.
    experiment_report = relational[0]
    assert experiment_report.visitors > 80
    assert len(experiment_report.series[0].points) >= 8
    assert {c.metric for c in experiment_report.comparisons if c.treatment.conversions} >= {
        "form_submission",
        "cta_click",
        "engagement",
        "form_completion",
        "bounce",
        "return_visit",
        "email_signup",
    }
    assert relational[1].visitors > 80
    assert relational_visitors == clickhouse_visitors
    for before, after in zip(relational, on_clickhouse, strict=True):
        assert_same(before, after, before.design.key)


def test_the_same_reports_when_events_arrive_backwards_in_many_inserts(
    columnar: ClickHouseEventStore,
) -> None:
    """ClickHouse's reports read a per-visitor aggregate that each insert adds to: the
    newest event first, 37 rows per insert, so every fact reaches it before its visitor's
    exposure and a visitor's events are spread over several inserts; the report must not
    change."""

    def append(rows: list[list[Any]]) -> None:
        # No background merge meanwhile: the query itself must merge a visitor's rows.
        columnar.session.command(f"SYSTEM STOP MERGES {columnar.visitors_table}")
        occurred = EVENT_COLUMNS.index("occurred_at")
        backwards = sorted(rows, key=lambda row: row[occurred], reverse=True)
        for start in range(0, len(backwards), 37):
            columnar.append(backwards[start : start + 37])
            if start % (37 * 5) == 0:  # refreshes in between: each takes the changed visitors
                columnar.refresh_report_cells(counting_rules())

    relational, on_clickhouse, relational_visitors, clickhouse_visitors = reports_on_both_stores(
        columnar, append
    )
    spread = columnar.session.rows(
        f"SELECT countIf(n > 1) FROM (SELECT visitor_id, count() AS n "
        f"FROM {columnar.visitors_table} WHERE experiment = '' GROUP BY visitor_id)"
    )[0][0]
    columnar.session.command(f"SYSTEM START MERGES {columnar.visitors_table}")
    assert relational_visitors == clickhouse_visitors
    for before, after in zip(relational, on_clickhouse, strict=True):
        assert_same(before, after, before.design.key)
    assert int(spread) > 50  # visitors whose events sit in rows of several inserts


def test_a_replayed_event_counts_once_and_an_erasure_removes_a_visitor(
    columnar: ClickHouseEventStore,
) -> None:
    log = EventLog()
    log.exposure("a", at(0), experiment=EXPERIMENT, arm="control")
    log.event("engagement", "a", at(0, minute=5), value=10.0)
    log.exposure("b", at(0), experiment=EXPERIMENT, arm="control")
    log.event("engagement", "b", at(0, minute=5), value=4.0)
    rows = clickhouse_rows(log.rows)
    columnar.append(rows)
    columnar.append(rows[1:2])  # "a"'s engagement again, same event id
    columnar.refresh_report_cells(counting_rules())
    design = report_queries.holdout_design()
    with clickhouse_settings():
        scope = report_queries._scope(dataclasses.replace(design, key=EXPERIMENT), ("engagement",))
        sums = columnar.arm_segment_sums(scope)
        assert sums[("control", "saas", "engagement")][1:] == (2, 14.0, 116.0)
        columnar.forget_visitors(["a"])
        sums = columnar.arm_segment_sums(scope)
        assert sums[("control", "saas", "engagement")] == (1, 1, 4.0, 16.0)
        assert [e["visitor_id"] for e in columnar.visitor_events(["a", "b"])] == ["b", "b"]
