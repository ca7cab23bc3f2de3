"""Report latency on PostgreSQL at 10 million events, measured there (not extrapolated).

Run (own database; created and migrated if missing; its events and rollups are emptied;
takes minutes: the history is made by PostgreSQL, then rolled up)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg \\
        .venv/bin/python bench/report_scale.py --events 10000000

The history is ``bench/postgresql_scale.py``'s generator (``generate_series`` inside
PostgreSQL, the planted journey over 90 days; no Python per row), rolled up with
``rebuild_rollups()``; then the reports the analytics pages show are built five times each,
warm, and the median is the figure (goal < 0.3 s): the ``pli-contact`` experiment report,
the global holdout report and the personalization overview. ``--keep`` leaves the events
and rollups in place for a later run with ``--reuse`` (no generation, no rollup).

``--parts all`` also times each page's parts (the rollup counts alone, the adjusted
estimates, the pipeline section) and, first, what each rollup run adds for the adjusted
estimates: counting the stored cells of the running experiments and the global holdout
(:func:`~persx.analytics.adjustment_cells.refresh_adjustment_cells`, every experiment
counted again; timed once, it takes as long as the live count did per report). The
adjusted estimates timed after it read those cells. ``--rounds`` sets the calls after the
first. Each part
prints its median wall time, the first call's, the CPU of this process and of the
PostgreSQL backend, and the first call's four slowest SQL statements with their wall time.

The pipeline section is timed with CRM facts for about 1% of ``pli-contact``'s visitors
(``--crm-per-mille``; ``bench/pipeline_crm.py``: leads, account links, outcomes), planted
once before the parts are timed, whenever the section is among them.

Each run's output is kept under ``bench/results/`` (``bench/record.py``);
:func:`measure` returns the figures for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgresql_scale import _empty, _generate, _load, prepare_database  # noqa: E402

REPORT_GOAL_S = 0.3


def _stored_events() -> int:
    from django.db import connection

    from persx.events.models import Event

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {Event._meta.db_table}")
        return int(cursor.fetchone()[0])


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _timed(fn: Callable[[], object], rounds: int) -> dict[str, Any]:
    """The first call with its SQL captured (each query's wall time), then ``rounds`` more:
    wall, this process's CPU and the PostgreSQL backend's CPU (parallel workers not
    counted) of each call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.postgresql_scale import _backend_cpu_s

    pid = _backend_pid()
    calls = []
    queries: list[dict[str, Any]] = []
    for call in range(1 + rounds):
        wall, cpu, backend = time.perf_counter(), time.process_time(), _backend_cpu_s(pid)
        if call == 0:
            with CaptureQueriesContext(connection) as captured:
                fn()
            queries = list(captured.captured_queries)
        else:
            fn()
        calls.append(
            (
                time.perf_counter() - wall,
                time.process_time() - cpu,
                _backend_cpu_s(pid) - backend,
            )
        )
    warm = calls[1:] or calls
    return {
        "first": calls[0][0],
        "median": statistics.median(c[0] for c in warm),
        "python_cpu": statistics.median(c[1] for c in warm),
        "backend_cpu": statistics.median(c[2] for c in warm),
        "queries": queries,
    }


def _parts() -> dict[str, Callable[[], object]]:
    """What a report page costs, whole and by part."""
    from django.utils import timezone

    from persx.analytics.overview import build_overview
    from persx.analytics.report_adjustment import adjusted_estimates
    from persx.analytics.report_model import ALL_INDUSTRIES
    from persx.analytics.report_pipeline import pipeline_section
    from persx.analytics.report_queries import find_design, holdout_design, segment_labels
    from persx.analytics.reports import build_report

    design = find_design("pli-contact")
    assert design is not None
    holdout = holdout_design()

    def segments(d: Any) -> list[tuple[str, str]]:
        from persx.analytics.report_queries import cell_counts

        return [
            (ALL_INDUSTRIES, "All industries"),
            *segment_labels(industry for _, industry, _ in cell_counts(d)),
        ]

    def refresh_cells() -> None:
        """What a rollup run adds: every kept experiment's cells counted again."""
        from django.db import transaction

        from persx.analytics.adjustment_cells import refresh_adjustment_cells
        from persx.analytics.models import AdjustmentCell, RollupState
        from persx.analytics.services import STATE_NAME

        with transaction.atomic():
            state = RollupState.objects.select_for_update().get(name=STATE_NAME)
            AdjustmentCell.objects.all().delete()
            refresh_adjustment_cells(state.last_event_id)

    return {
        CELLS_REFRESH: refresh_cells,
        "report pli-contact": lambda: build_report(design),
        "pli-contact: rollup counts only": lambda: build_report(design, with_adjustment=False),
        "pli-contact: adjusted estimates": lambda: adjusted_estimates(design, segments(design)),
        PIPELINE_PART: lambda: pipeline_section(design, segments(design), timezone.now()),
        "report global-holdout": lambda: build_report(holdout),
        "global-holdout: rollup counts only": lambda: build_report(holdout, with_adjustment=False),
        "global-holdout: adjusted estimates": lambda: adjusted_estimates(
            holdout, segments(holdout)
        ),
        "personalization overview": build_overview,
    }


PIPELINE_PART = "pli-contact: pipeline section"
GOAL_PARTS = ("report pli-contact", "report global-holdout", "personalization overview")
CELLS_REFRESH = "adjustment cells refresh (per rollup run)"
ONCE = {CELLS_REFRESH}  # timed by one call after the first, whatever --rounds says


def measure(
    events: int = 10_000_000,
    *,
    reuse: bool = False,
    keep: bool = False,
    rounds: int = 5,
    only: Sequence[str] = GOAL_PARTS,
    crm_per_mille: int = 10,
) -> list[dict[str, Any]]:
    """Report latencies at ``events`` events (fields of ``bench/goals.Goal``) of the parts
    named in ``only`` (:func:`_parts`), each with its slowest queries. Needs Django set up
    on a PostgreSQL database."""
    from bench.reporting import _print_progress
    from persx.analytics.services import rebuild_rollups
    from persx.demo.simulation_records import ensure_simulation_experiment

    ensure_simulation_experiment()
    if reuse:
        stored = _stored_events()
        print(f"  reusing {stored:,} stored events and their rollups", flush=True)
    else:
        _empty()
        stored = _generate(events, salt="report")
        run = rebuild_rollups(progress=_print_progress("events rolled up"))
        print(
            f"  rollup rebuild: {stored:,} events in {run.seconds:.0f} s "
            f"({stored / run.seconds:,.0f} events/s)",
            flush=True,
        )
    if PIPELINE_PART in only and crm_per_mille:
        from bench.pipeline_crm import plant_crm

        print(f"  CRM facts: {plant_crm(per_mille=crm_per_mille):,} visitors with a lead")
    parts = _parts()
    figures: list[dict[str, Any]] = []
    for label in only:
        runs = min(rounds, 1) if label in ONCE else rounds
        got = _timed(parts[label], runs)
        print(
            f"  {label:<36}: {got['median'] * 1000:9.0f} ms median (first "
            f"{got['first'] * 1000:.0f} ms; CPU: Python {got['python_cpu'] * 1000:.0f} ms, "
            f"PostgreSQL backend {got['backend_cpu'] * 1000:.0f} ms) at {stored:,} events, "
            f"{runs} round(s), load {_load()}"
            + ("" if label in ONCE else f"; goal < {REPORT_GOAL_S * 1000:.0f} ms"),
            flush=True,
        )
        slowest = sorted(got["queries"], key=lambda q: -float(q["time"]))[:4]
        for query in slowest:
            sql = " ".join(str(query["sql"]).split())
            print(f"      {float(query['time']) * 1000:9.0f} ms  {sql[:150]}", flush=True)
        print(f"      ({len(got['queries'])} queries in the first call)", flush=True)
        if label in ONCE:
            continue
        figures.append(
            {
                "name": f"PostgreSQL {label} at {stored / 1e6:.0f} M events",
                "measured": got["median"],
                "goal": REPORT_GOAL_S,
                "direction": "<=",
                "kind": "absolute",
                "unit": "s",
            }
        )
    if not keep:
        _empty()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="the events stored by --keep")
    parser.add_argument("--keep", action="store_true", help="leave events and rollups")
    parser.add_argument("--rounds", type=int, default=5, help="timed calls after the first")
    parser.add_argument(
        "--parts",
        default=",".join(GOAL_PARTS),
        help="comma-separated parts to time (the report pages' goals by default); 'all' "
        "adds each page's parts: rollup counts only, adjusted estimates, pipeline section",
    )
    parser.add_argument(
        "--crm-per-mille",
        type=int,
        default=10,
        help="visitors of pli-contact (per thousand) given CRM facts before the pipeline "
        "section is timed (planted once; 0: none)",
    )
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["report_scale", *sys.argv[1:]]):
        prepare_database()
        print(f"== PostgreSQL reports at scale (load average {_load()}) ==", flush=True)
        only = list(_parts()) if args.parts == "all" else args.parts.split(",")
        measure(
            args.events,
            reuse=args.reuse,
            keep=args.keep,
            rounds=args.rounds,
            only=only,
            crm_per_mille=args.crm_per_mille,
        )
        print(f"== done (load average {_load()}) ==", flush=True)


if __name__ == "__main__":
    main()
