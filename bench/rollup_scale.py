"""Rollups on PostgreSQL at scale: a rebuild over ``--events`` events, then an incremental step.

Run (own database; created and migrated if missing; its events and rollups are emptied)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg \\
        .venv/bin/python bench/rollup_scale.py --events 1000000 --incremental 1500000

1. ``--events`` raw events made inside PostgreSQL (``bench/postgresql_scale.py``'s generator:
   ``generate_series``, the planted journey over 90 days), then ``rebuild_rollups()`` over
   all of them: events per second (goal ≥ 100,000).
2. ``--incremental`` more events of new visitors (five minutes of 1000× traffic is 1.5 M),
   then ``update_rollups()``, the incremental step ``manage.py persx_rollup`` runs: seconds
   (goal < 30 s).

Beside each wall figure: the PostgreSQL backend's own CPU seconds (``/proc``; the bench runs
on the database host), so a run on a busy machine still says what the rollup costs.

Each run's output is kept under ``bench/results/`` (``bench/record.py``) with the commit and
the machine's load; :func:`measure` returns the figures for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgresql_scale import (  # noqa: E402
    _backend_cpu_s,
    _empty,
    _generate,
    _load,
    prepare_database,
)

REBUILD_GOAL_EVENTS_PER_S = 100_000
INCREMENTAL_GOAL_S = 30.0


def measure(events: int = 1_000_000, incremental: int = 1_500_000) -> list[dict[str, Any]]:
    """Rebuild and incremental figures (``name, measured, goal, direction, kind, unit``:
    the fields of ``bench/goals.Goal``). Needs Django set up on a PostgreSQL database."""
    from bench.reporting import _print_progress
    from persx.analytics.services import rebuild_rollups, update_rollups
    from persx.demo.simulation_records import ensure_simulation_experiment

    ensure_simulation_experiment()
    _empty()
    stored = _generate(events, salt="base")
    pid = _backend_pid()
    cpu = _backend_cpu_s(pid)
    run = rebuild_rollups(progress=_print_progress("events rolled up"))
    cpu = _backend_cpu_s(pid) - cpu
    rate = stored / run.seconds
    print(
        f"  rollup rebuild            : {rate:12,.0f} events/s   ({stored:,} events in "
        f"{run.seconds:.1f} s; goal >= {REBUILD_GOAL_EVENTS_PER_S:,}); PostgreSQL backend "
        f"{cpu:.1f} CPU-s = {stored / max(cpu, 1e-9):,.0f} events per CPU-second "
        f"(load {_load()})",
        flush=True,
    )
    figures: list[dict[str, Any]] = [
        _figure("PostgreSQL rollup rebuild", rate, REBUILD_GOAL_EVENTS_PER_S, ">=", "events/s"),
        _figure(
            "PostgreSQL rollup rebuild per backend CPU-second",
            stored / max(cpu, 1e-9),
            REBUILD_GOAL_EVENTS_PER_S,
            ">=",
            "events/CPU-s",
        ),
    ]
    if incremental:
        total = _generate(incremental, salt="later")
        cpu = _backend_cpu_s(pid)
        step = update_rollups(progress=_print_progress("new events rolled up"))
        cpu = _backend_cpu_s(pid) - cpu
        print(
            f"  rollup incremental step   : {step.seconds:12.1f} s   ({total - stored:,} new "
            f"events onto {stored:,}; {step.events_per_second:,.0f} events/s; "
            f"goal < {INCREMENTAL_GOAL_S:.0f} s); PostgreSQL backend {cpu:.1f} CPU-s "
            f"(load {_load()})",
            flush=True,
        )
        figures += [
            _figure(
                "PostgreSQL incremental rollup of 1.5 M events",
                step.seconds,
                INCREMENTAL_GOAL_S,
                "<=",
                "s",
            ),
            _figure(
                "PostgreSQL incremental rollup of 1.5 M events, backend CPU",
                cpu,
                INCREMENTAL_GOAL_S,
                "<=",
                "CPU-s",
            ),
        ]
    _empty()
    return figures


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _figure(name: str, measured: float, goal: float, direction: str, unit: str) -> dict[str, Any]:
    return {
        "name": name,
        "measured": measured,
        "goal": goal,
        "direction": direction,
        "kind": "absolute",
        "unit": unit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--incremental", type=int, default=1_500_000)
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["rollup_scale", *sys.argv[1:]]):
        prepare_database()
        print(f"== PostgreSQL rollups (load average {_load()}) ==", flush=True)
        measure(args.events, args.incremental)
        print(f"== done (load average {_load()}) ==", flush=True)


if __name__ == "__main__":
    main()
