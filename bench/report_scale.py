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

Each run's output is kept under ``bench/results/`` (``bench/record.py``);
:func:`measure` returns the figures for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import sys
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


def measure(
    events: int = 10_000_000, *, reuse: bool = False, keep: bool = False
) -> list[dict[str, Any]]:
    """Report latencies at ``events`` events (fields of ``bench/goals.Goal``). Needs Django
    set up on a PostgreSQL database."""
    from bench.reporting import _median_seconds, _print_progress
    from persx.analytics.overview import build_overview
    from persx.analytics.report_queries import find_design, holdout_design
    from persx.analytics.reports import build_report
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
    design = find_design("pli-contact")
    assert design is not None
    figures: list[dict[str, Any]] = []
    for label, fn in (
        ("report pli-contact", lambda: build_report(design)),
        ("report global-holdout", lambda: build_report(holdout_design())),
        ("personalization overview", build_overview),
    ):
        cold, warm = _median_seconds(fn, 5)
        print(
            f"  {label:<26}: {warm * 1000:7.0f} ms median (first {cold * 1000:.0f} ms) at "
            f"{stored:,} events; goal < {REPORT_GOAL_S * 1000:.0f} ms",
            flush=True,
        )
        figures.append(
            {
                "name": f"PostgreSQL {label} at {stored / 1e6:.0f} M events",
                "measured": warm,
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
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["report_scale", *sys.argv[1:]]):
        prepare_database()
        print(f"== PostgreSQL reports at scale (load average {_load()}) ==", flush=True)
        measure(args.events, reuse=args.reuse, keep=args.keep)
        print(f"== done (load average {_load()}) ==", flush=True)


if __name__ == "__main__":
    main()
