"""Rollup build throughput and report latency at 10 million raw events.

1. Generates the raw events inside the database (SQLite: one ``INSERT … SELECT`` per
   simulated day from a recursive CTE; no Python loop per row): ~2.1 million visitors over
   90 days, each with a page view, three block exposures (global holdout 10%; the contact
   form in the ``pli-contact`` experiment, 50/50), and conversions (contact form 3% generic,
   +20% personalized; CTA clicks 8%; engagement seconds for 60%).
2. Rebuilds the rollups from those events (``rebuild_rollups``): events/s.
3. Builds the ``pli-contact`` report, the global holdout report and the personalization
   overview from the rollups: latency (goal < 1 s).

Size: ``PERSX_BENCH_EVENTS`` (default 10,000,000; e.g. 1000000 for a quick look). At 10
million events expect a few minutes and ~5 GB of temporary disk on this machine.
Run alone: ``.venv/bin/python bench/reporting.py`` (fresh temporary database).
Everything generated is deleted at the end, so later benchmarks start from the demo data.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.planted_journey import (  # noqa: E402
    DAYS,
    EVENTS_PER_VISITOR,
    event_values,
    journey_selects,
)

DEFAULT_EVENTS = 10_000_000
INDUSTRIES = ("ecommerce", "healthcare", "saas", "financial-services", "travel")
REPORT_GOAL_S = 1.0


def _print_progress(label: str) -> Callable[[int, int], None]:
    last = [-1]
    started = time.perf_counter()

    def show(done: int, total: int) -> None:
        tenth = int(10 * done / total) if total else 10
        if tenth != last[0]:
            last[0] = tenth
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"  {label}: {done:>12,}/{total:,} ({tenth * 10:3d}%)  {rate:,.0f}/s", flush=True)

    return show


def _visitor_table_sql(visitors: int) -> str:
    industry = "CASE ind " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(INDUSTRIES))
    return (
        "CREATE TEMP TABLE bench_visitor AS "
        "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq "
        f"WHERE n + 1 < {visitors}) "
        f"SELECT n, printf('%032x', n + 1) AS vid, {industry} END AS industry, "
        "bucket < 10 AS held, bucket % 2 AS treated, day, sec, r1, r2, r3 FROM ("
        "SELECT n, abs(random()) % 5 AS ind, abs(random()) % 100 AS bucket, "
        f"abs(random()) % {DAYS} AS day, abs(random()) % 86000 AS sec, "
        "abs(random()) % 10000 AS r1, abs(random()) % 10000 AS r2, "
        "abs(random()) % 10000 AS r3 FROM seq)"
    )


def _day_sql(table: str, day: int) -> str:
    """The events of one day's visitors, in time order (ids then follow time)."""
    from persx.events.event_row import EVENT_COLUMNS

    def at(offset: int) -> str:
        return (
            "strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || v.day || ' days', "
            f"'+' || (v.sec + {offset}) || ' seconds')"
        )

    def row(order: int, kind: str, offset: int, where: str | None = None, **fields: str) -> str:
        values = {
            # Time-ordered ids (day, second, visitor, kind + random tail): each day's rows
            # append to the unique index instead of landing all over it.
            "event_id": (
                f"printf('%02x%05x%06x%01x', {int(day)}, v.sec + {offset}, v.n, {order}) "
                "|| lower(hex(randomblob(9)))"
            ),
            **event_values(kind, at(offset), null_value="NULL", empty_properties="'{}'", **fields),
        }
        selected = ", ".join(f"{values[c]} AS {c}" for c in EVENT_COLUMNS)
        return (
            f"SELECT {order} AS k, v.n AS n, v.sec + {offset} AS t, {selected} "
            f"FROM bench_visitor v WHERE v.day = {int(day)} AND ({where or '1'})"
        )

    parts = journey_selects(row, engagement_seconds="1 + v.r3 % 120")
    columns = ", ".join(EVENT_COLUMNS)
    return (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ("
        + " UNION ALL ".join(parts)
        + ") ORDER BY t, n, k"
    )


def generate_events(total_events: int) -> int:
    """Insert about ``total_events`` raw events; returns how many were inserted."""
    from django.db import connection, transaction

    from persx.events.models import Event

    if connection.vendor != "sqlite":
        raise RuntimeError("the generator is written for the benchmark's SQLite database")
    visitors = max(1, round(total_events / EVENTS_PER_VISITOR))
    table = Event._meta.db_table
    progress = _print_progress("events generated")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -1000000")  # 1 GB page cache for the indexes
        cursor.execute("PRAGMA temp_store = MEMORY")
        cursor.execute("DROP TABLE IF EXISTS bench_visitor")
        cursor.execute(_visitor_table_sql(visitors))
        cursor.execute("CREATE INDEX bench_visitor_day ON bench_visitor (day, sec, n)")
    # Bulk load: the secondary indexes are built once at the end (one sort each).
    with connection.schema_editor() as editor:
        for index in Event._meta.indexes:
            editor.remove_index(Event, index)
    for day in range(DAYS):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_day_sql(table, day))
        progress(day + 1, DAYS)
    print("  building the event indexes...", flush=True)
    with connection.schema_editor() as editor:
        for index in Event._meta.indexes:
            editor.add_index(Event, index)
    inserted = Event.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_visitor")
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    print(f"  {inserted:,} events for {visitors:,} visitors in {seconds:.0f} s")
    return inserted


def _median_seconds(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    first = time.perf_counter()
    fn()
    cold = time.perf_counter() - first
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return cold, statistics.median(samples)


def _clean_up(created_experiment: bool) -> None:
    from django.db import connection

    from persx.analytics.models import (
        DailyRollup,
        ExperimentVisitor,
        RollupState,
        VisitorConversion,
    )
    from persx.events.models import Event
    from persx.experiments.models import Experiment
    from persx.experiments.repository import invalidate_experiments

    with connection.cursor() as cursor:
        for model in (Event, DailyRollup, VisitorConversion, ExperimentVisitor, RollupState):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")  # SQLite's fast truncate
    if created_experiment:
        Experiment.objects.filter(key="pli-contact").delete()
        invalidate_experiments()


def bench_reporting() -> None:
    """Print rollup build throughput and report latency at PERSX_BENCH_EVENTS events."""
    from persx.analytics.overview import build_overview
    from persx.analytics.report_queries import find_design, holdout_design
    from persx.analytics.reports import build_report
    from persx.analytics.services import rebuild_rollups
    from persx.demo.simulation_records import ensure_simulation_experiment
    from persx.events.models import Event

    total = int(os.environ.get("PERSX_BENCH_EVENTS", DEFAULT_EVENTS))
    print(f"\n== Reporting at {total:,} raw events (SQLite) ==", flush=True)
    if Event.objects.exists():
        print("  the events table is not empty: skipped (run on a fresh database)")
        return
    _, created = ensure_simulation_experiment()
    try:
        events = generate_events(total)
        run = rebuild_rollups(progress=_print_progress("events rolled up"))
        design = find_design("pli-contact")
        assert design is not None
        report_cold, report_s = _median_seconds(lambda: build_report(design), 5)
        holdout_cold, holdout_s = _median_seconds(lambda: build_report(holdout_design()), 5)
        _, overview_s = _median_seconds(build_overview, 3)
        report = build_report(design)
        primary = report.primary()
        print(
            f"  rollup build (rebuild)       : {run.events / run.seconds:12,.0f} events/s"
            f"   ({events:,} events in {run.seconds:.0f} s)"
        )
        for label, cold, warm in (
            ("report pli-contact", report_cold, report_s),
            ("report global-holdout", holdout_cold, holdout_s),
        ):
            verdict = "ok" if warm < REPORT_GOAL_S else "SLOWER THAN GOAL"
            print(
                f"  {label:<29}: {warm * 1000:9.0f} ms median (first {cold * 1000:.0f} ms)"
                f"   (goal < {REPORT_GOAL_S * 1000:.0f} ms: {verdict})"
            )
        print(f"  personalization overview     : {overview_s * 1000:9.0f} ms median")
        if primary is not None:
            print(
                f"  check: {report.visitors:,} visitors in pli-contact/holdout arms; PLI "
                f"{(primary.lift or 0) * 100:+.1f}% (planted +20%), SRM "
                f"{'FLAGGED' if report.srm.flagged else 'ok'}"
            )
    finally:
        _clean_up(created)


if __name__ == "__main__":
    from bench.django_setup import setup_django

    setup_django()
    bench_reporting()
