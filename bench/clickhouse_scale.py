"""The ClickHouse event store at scale: ingestion, report latency, bytes per event.

Run: ``.venv/bin/python bench/clickhouse_scale.py [--events 50000000]`` (the output is kept
under ``bench/results/`` by :mod:`bench.record`); ``measure()`` returns the figures for
``make bench``.

Against chDB (the ClickHouse engine in this process, ``chdb-core``) with the schema of
``deploy/clickhouse/single_node.sql`` in a temporary directory:

1. **history**: ``--events`` events generated inside ClickHouse (``INSERT … SELECT … FROM
   numbers(N)``: no Python loop, in inserts of 5 M events): 25 events per visitor over 60
   days, page views, exposures of one experiment (two arms) and of the global holdout,
   natural exposures, engagement seconds, clicks, form starts and submissions. Every
   insert also feeds the per-visitor aggregate through its materialized view (as in
   production). Its rate is the engine's own bulk ingestion rate (generation included),
   an upper bound for any client; a visitor's events are spread over every insert.
   ``--backfill`` generates the raw events without the view instead and then fills the
   aggregate in one ``INSERT … SELECT`` (an upgrade's migration; timed on its own).
2. **the first refresh of the report cells** (``ClickHouseEventStore.refresh_report_cells``:
   every entered visitor's contributions, then each experiment's cells), wall and this
   process's CPU seconds (chDB's threads included). ``--optimize`` merges the aggregate
   into one part first (``OPTIMIZE … FINAL``: what background merges converge to).
3. **the writers' path**: ``ClickHouseEventStore.append`` with batches of 500 rows as the
   API hands them over (driver-ready values → ClickHouse values → chDB's insert with
   ``async_insert``), on top of that history: page views and clicks of ``APPEND_VISITORS``
   visitors of the experiment; then **an incremental refresh** (the visitors changed since
   the first refresh's watermark), timed the same way.
4. **reports**: the statistics of one report (arm × industry × metric, by day, by variant:
   three reads of the precomputed cells) for the experiment and for the global holdout:
   the first run and the median of ``REPORT_RUNS``, wall and CPU seconds.
5. **storage**: ``system.parts`` (active parts): bytes on disk per event, compressed and
   not, of the raw table, the aggregate, the contributions and the cells.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXPERIMENT = "exp-scale"
EVENTS_PER_VISITOR = 25
APPEND_BATCH = 500
APPEND_BATCHES = 100
APPEND_VISITORS = 997
GENERATE_CHUNK = 5_000_000
REPORT_RUNS = 5


@dataclass(frozen=True, slots=True)
class ReportTiming:
    first_seconds: float
    median_seconds: float
    median_cpu_seconds: float  # this process's CPU (chDB's threads included)


@dataclass(frozen=True, slots=True)
class ClickHouseScale:
    events: int
    visitors: int
    generate_seconds: float
    generated_events_per_second: float
    append_events: int
    append_events_per_second: float  # the writers' path, batches of APPEND_BATCH
    refresh_seconds: float  # the first refresh of the report cells (every visitor)
    refresh_cpu_seconds: float
    incremental_refresh_seconds: float  # after the appends: the visitors they changed
    incremental_refresh_cpu_seconds: float
    report_seconds: float  # one experiment's report statistics (the cells): median; NaN
    holdout_report_seconds: float  # the global holdout's (NaN: not measured)
    bytes_per_event: float  # raw table, on disk, compressed
    uncompressed_bytes_per_event: float
    parts: int
    aggregate_bytes_per_event: float  # the per-visitor aggregate, on disk, per raw event
    aggregate_rows: int
    contributions_bytes_per_event: float  # the report cells' contributions, per raw event
    cells_rows: int


def _generate_sql(table: str, first: int, events: int, visitors: int) -> str:
    """The history as one INSERT … SELECT (deterministic but the event ids)."""
    v = f"n % {visitors}"
    k = f"intDiv(n, {visitors})"  # the visitor's k-th event
    h = f"cityHash64(n, {v})"
    industry = (
        f"['saas', 'fintech', 'healthcare', 'ecommerce', 'travel', ''][cityHash64({v}, 1) % 6 + 1]"
    )
    in_experiment = f"cityHash64({v}, 2) % 2 = 0"
    held_out = f"cityHash64({v}, 3) % 10 = 0"
    arm = f"if(cityHash64({v}, 4) % 2 = 0, 'control', 'personalized')"
    kind = (
        f"multiIf({k} = 0, 'page_view', {k} = 1 AND {in_experiment}, 'experiment', "
        f"{k} = 1 AND {held_out}, 'holdout', {k} = 1, 'natural', "
        f"{h} % 100 < 45, 'page_view', {h} % 100 < 65, 'engagement', {h} % 100 < 70, 'cta_click', "
        f"{h} % 100 < 75, 'form_start', {h} % 100 < 79, 'form_submission', 'natural')"
    )
    start = "toDateTime64(now() - INTERVAL 60 DAY, 6, 'UTC')"
    occurred = (
        f"{start} + toIntervalSecond(cityHash64({v}, 5) % (50 * 86400) + {k} * 1800 + {h} % 600)"
    )
    return (
        f"INSERT INTO {table} SELECT generateUUIDv4(n) AS event_id, "
        f"if(kind IN ('experiment', 'holdout', 'natural'), 'exposure', kind) AS type, "
        f"concat('v', hex(cityHash64({v}))) AS visitor_id, {occurred} AS occurred_at, "
        f"occurred_at AS received_at, concat('/page-', toString({h} % 200)) AS page, "
        f"{industry} AS industry, '' AS persona, "
        f"if(cityHash64({v}, 6) % 5 = 0, 'granted', 'unknown') AS consent, "
        f"if(type = 'exposure', 'hero', '') AS block, "
        f"multiIf(kind = 'experiment' AND {arm} = 'control', 'generic', "
        f"kind IN ('experiment', 'natural') AND industry != '', concat('industry:', industry), "
        f"type = 'exposure', 'generic', '') AS variant, '' AS reason, "
        f"multiIf(kind = 'experiment', '{EXPERIMENT}', kind = 'holdout', 'global-holdout', '') "
        f"AS experiment, "
        f"multiIf(kind = 'experiment', {arm}, kind = 'holdout', 'holdout', '') AS arm, "
        f"if(kind = 'experiment' AND industry != '', concat('industry:', industry), '') "
        f"AS would_be, "
        f"if(type = 'engagement', toFloat64({h} % 12000) / 100, NULL) AS value, "
        f"'{{}}' AS properties "
        f"FROM (SELECT number AS n, {kind} AS kind FROM numbers({first}, {events}))"
    )


def _append_rows(count: int, visitors: list[str]) -> list[list[Any]]:
    """Page views and clicks of known visitors, as the writers hand them over."""
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        at = now - timedelta(seconds=i)
        kind = "cta_click" if i % 4 == 0 else "page_view"
        rows.append(
            [uuid.uuid4(), kind, visitors[i % len(visitors)], at, at, "/pricing/", "saas", "",
             "granted", "", "", "", "", "", "", None, "{}"]
        )  # fmt: skip
    return rows


def measure(
    events: int = 50_000_000,
    echo: Callable[[str], None] = print,
    reports: bool = True,
    report_runs: int = REPORT_RUNS,
    optimize: bool = False,
    backfill: bool = False,
) -> ClickHouseScale:
    """Build the history in a temporary chDB database and measure (see the module doc)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "persx.settings.test")
    import django

    django.setup()
    from bench.record import load_average
    from persx.analytics.rollup_statistics import counting_rules
    from persx.eventstore.clickhouse_store import ClickHouseEventStore
    from persx.eventstore.port import Scope
    from persx.eventstore.sessions import InProcessSession

    folder = tempfile.mkdtemp(prefix="persx-chdb-bench-")
    session = InProcessSession(folder)
    try:
        store = ClickHouseEventStore(session)
        store.create_schema(retention_months=None)
        if backfill:  # an upgrade: raw events stored before the aggregate existed
            session.command(f"DROP TABLE {store.visitors_table}_mv")
        visitors = max(1, events // EVENTS_PER_VISITOR)
        echo(f"  generating {events:,} events of {visitors:,} visitors inside ClickHouse ...")
        started = time.perf_counter()
        for first in range(0, events, GENERATE_CHUNK):
            count = min(GENERATE_CHUNK, events - first)
            session.command(_generate_sql(store.table, first, count, visitors))
            echo(f"    {first + count:,} events after {time.perf_counter() - started:.0f} s")
        generate_seconds = time.perf_counter() - started
        echo(f"  history: {generate_seconds:.1f} s = {events / generate_seconds:,.0f} events/s")
        if backfill:
            store.create_schema(retention_months=None)  # the view again, for new rows
            started, cpu = time.perf_counter(), time.process_time()
            store.backfill_aggregate()
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
            echo(
                f"  backfill of the per-visitor aggregate (INSERT … SELECT): {took:.1f} s = "
                f"{events / took:,.0f} events/s, {cpu:.1f} CPU-s ({load_average()})"
            )

        rules = counting_rules()

        def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
            started, cpu = time.perf_counter(), time.process_time()
            result = work()
            return result, time.perf_counter() - started, time.process_time() - cpu

        if optimize:
            _, took, _ = timed(
                lambda: session.command(f"OPTIMIZE TABLE {store.visitors_table} FINAL")
            )
            echo(f"  OPTIMIZE TABLE events_visitors FINAL: {took:.1f} s")
        # One writer, and its appends return once written: no insert can commit late here.
        store.late_commit_margin_s = 0
        first, refresh_seconds, refresh_cpu = timed(lambda: store.refresh_report_cells(rules))
        echo(
            f"  first refresh of the report cells: {refresh_seconds:.1f} s, {refresh_cpu:.1f} "
            f"CPU-s ({first.visitors:,} visitors, experiments {', '.join(first.experiments)}; "
            f"{load_average()})"
        )

        known = [
            str(r[0])
            for r in session.rows(
                f"SELECT DISTINCT visitor_id FROM {store.visitors_table} "
                f"WHERE experiment = '{EXPERIMENT}' LIMIT {APPEND_VISITORS}"
            )
        ]
        batch = _append_rows(APPEND_BATCH, known)
        started = time.perf_counter()
        for _ in range(APPEND_BATCHES):
            store.append(batch)
        append_seconds = time.perf_counter() - started
        appended = APPEND_BATCH * APPEND_BATCHES
        echo(
            f"  append, batches of {APPEND_BATCH} ({len(known)} visitors): "
            f"{appended / append_seconds:,.0f} events/s"
        )
        again, incremental_seconds, incremental_cpu = timed(
            lambda: store.refresh_report_cells(rules)
        )
        echo(
            f"  incremental refresh: {incremental_seconds:.2f} s, {incremental_cpu:.2f} CPU-s "
            f"({again.visitors:,} changed visitors, margin {store.late_commit_margin_s:.0f} s; "
            f"{load_average()})"
        )

        metrics = ("form_submission", "cta_click", "engagement", "form_completion", "bounce",
                   "return_visit")  # fmt: skip

        def report_once(key: str) -> tuple[float, float]:
            """One report's statistics (its three asks of the cells, the first reading them):
            wall and CPU seconds."""
            store.forget_held_cells()
            _, took, cpu = timed(
                lambda: (
                    store.arm_segment_sums(Scope(key, metrics, rules)),
                    store.daily_sums(Scope(key, (metrics[0],), rules)),
                    store.variant_sums(Scope(key, (metrics[0],), rules)),
                )
            )
            return took, cpu

        def report(key: str) -> ReportTiming:
            runs = [report_once(key) for _ in range(report_runs)]
            timing = ReportTiming(
                first_seconds=runs[0][0],
                median_seconds=statistics.median(r[0] for r in runs),
                median_cpu_seconds=statistics.median(r[1] for r in runs),
            )
            echo(
                f"  report {key:<16} (the cells): {timing.median_seconds:.3f} s median of "
                f"{report_runs} (first {timing.first_seconds:.3f} s), "
                f"{timing.median_cpu_seconds:.3f} CPU-s median ({load_average()})"
            )
            return timing

        def storage(table: str) -> tuple[int, int, int, int]:
            rows, on_disk, uncompressed, parts = session.rows(
                "SELECT sum(rows), sum(bytes_on_disk), sum(data_uncompressed_bytes), count() "
                "FROM system.parts WHERE database = 'persx' AND table = {t:String} AND active",
                {"t": table},
            )[0]
            return int(rows), int(on_disk), int(uncompressed), int(parts)

        report_seconds = holdout_seconds = float("nan")
        if reports:
            report_seconds = report(EXPERIMENT).median_seconds
            holdout_seconds = report("global-holdout").median_seconds
            sums = store.arm_segment_sums(Scope(EXPERIMENT, (metrics[0],), rules))
            counted = sum(s.visitors for s in sums.values())
            echo(f"  (the experiment counts {counted:,} visitors)")
        else:
            echo("  reports: not measured in this run (--skip-reports)")

        rows, on_disk, uncompressed, parts = storage("events")
        echo(
            f"  storage, raw events: {on_disk / rows:.1f} bytes per event on disk "
            f"({uncompressed / rows:.1f} uncompressed), {int(parts)} parts, {rows:,} rows"
        )
        for label, table in (
            ("per-visitor aggregate", "events_visitors"),
            ("contributions", "events_contributions"),
            ("cells", "events_cells"),
        ):
            held = storage(table)
            echo(
                f"  storage, {label}: {held[1] / rows:.1f} bytes per event on disk "
                f"({held[2] / rows:.1f} uncompressed), {held[3]} parts, {held[0]:,} rows"
            )
        aggregate_rows, aggregate_disk = storage("events_visitors")[:2]
        contributions_disk = storage("events_contributions")[1]
        cells_rows = storage("events_cells")[0]
        return ClickHouseScale(
            events=events,
            visitors=visitors,
            generate_seconds=generate_seconds,
            generated_events_per_second=events / generate_seconds,
            append_events=appended,
            append_events_per_second=appended / append_seconds,
            refresh_seconds=refresh_seconds,
            refresh_cpu_seconds=refresh_cpu,
            incremental_refresh_seconds=incremental_seconds,
            incremental_refresh_cpu_seconds=incremental_cpu,
            report_seconds=report_seconds,
            holdout_report_seconds=holdout_seconds,
            bytes_per_event=on_disk / rows,
            uncompressed_bytes_per_event=uncompressed / rows,
            parts=int(parts),
            aggregate_bytes_per_event=aggregate_disk / rows,
            aggregate_rows=aggregate_rows,
            contributions_bytes_per_event=contributions_disk / rows,
            cells_rows=cells_rows,
        )
    finally:
        session.close()
        shutil.rmtree(folder, ignore_errors=True)


def goal_figures(events: int = 50_000_000, reports: bool = True) -> list[dict[str, Any]]:
    """``measure()`` as ``bench.goals`` rows (name, measured, goal, direction, kind, unit).

    Issue 18 asks for the bench at >= 50 M events; it sets no ClickHouse latency goal, so the
    report is held to the one it sets for reports (< 0.3 s, there at 10 M on PostgreSQL).
    The other figures (ingestion, bytes per event) have no goal: they are printed.
    """
    scale = measure(events, reports=reports)
    return [
        {"name": "ClickHouse bench: events in the history", "measured": scale.events,
         "goal": 50_000_000, "direction": ">=", "kind": "absolute", "unit": "events"},
        {"name": "ClickHouse: one report's statistics", "measured": scale.report_seconds,
         "goal": 0.3, "direction": "<=", "kind": "absolute", "unit": "s"},
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000_000)
    parser.add_argument("--skip-reports", action="store_true", help="ingestion and storage only")
    parser.add_argument("--report-runs", type=int, default=REPORT_RUNS, help="runs per report")
    parser.add_argument(
        "--optimize",
        action="store_true",
        help="merge the aggregate into one part (OPTIMIZE … FINAL) before the first refresh",
    )
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="generate raw events without the view, then fill the aggregate in one backfill",
    )
    args = parser.parse_args()
    from bench.record import load_average, recorded_run

    argv = ["bench/clickhouse_scale.py", f"--events={args.events}"]
    argv += ["--skip-reports"] if args.skip_reports else []
    argv += [f"--report-runs={args.report_runs}"] + (["--optimize"] if args.optimize else [])
    argv += ["--backfill"] if args.backfill else []
    with recorded_run(argv):
        print(f"== ClickHouse scale, chDB in-process ({load_average()}) ==", flush=True)
        measure(
            args.events,
            echo=lambda line: print(line, flush=True),
            reports=not args.skip_reports,
            report_runs=args.report_runs,
            optimize=args.optimize,
            backfill=args.backfill,
        )
        print(f"== done ({load_average()}) ==", flush=True)


if __name__ == "__main__":
    main()
