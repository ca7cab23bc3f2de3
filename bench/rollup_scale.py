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

Beside each wall figure: the CPU seconds of every PostgreSQL backend of the bench's database
(``/proc``; the bench runs on the database host; a step's partitions run on connections of
their own, sampled every 20 ms while they live, with the parallel workers they lead, so a
process's last 20 ms can be missed), so
a run on a busy machine still says what the rollup costs. ``--partitions`` sets the
connections per step (default: the service's).

Each run's output is kept under ``bench/results/`` (``bench/record.py``) with the commit and
the machine's load; :func:`measure` returns the figures for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.postgresql_scale import (  # noqa: E402
    CLOCK_TICKS,
    _empty,
    _generate,
    _load,
    prepare_database,
)

REBUILD_GOAL_EVENTS_PER_S = 100_000
INCREMENTAL_GOAL_S = 30.0


class DatabaseBackendsCpu:
    """CPU seconds spent by every PostgreSQL backend of one database while in the block:
    ``/proc`` sampled every ``interval`` seconds (backends come and go with the partitions)."""

    def __init__(self, database: str, interval: float = 0.02) -> None:
        self._tag = f" {database} ".encode()
        self._interval = interval
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _backends(self) -> dict[int, float]:
        """Each backend of the database and each parallel worker one of them leads."""
        titles: dict[int, bytes] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    title = (entry / "cmdline").read_bytes()
                except OSError:  # ended meanwhile
                    continue
                if title.startswith(b"postgres: "):
                    titles[int(entry.name)] = title
        ours = {pid for pid, title in titles.items() if self._tag in title}
        ours |= {
            pid
            for pid, title in titles.items()
            if any(f"parallel worker for PID {leader}".encode() in title for leader in ours)
        }
        found: dict[int, float] = {}
        for pid in ours:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return found

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self._interval):
            self._last.update(self._backends())

    def __enter__(self) -> DatabaseBackendsCpu:
        self._start = self._backends()
        self._last = dict(self._start)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._last.update(self._backends())

    @property
    def seconds(self) -> float:
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._last.items())

    @property
    def backends(self) -> int:
        return len(self._last)


def measure(
    events: int = 1_000_000, incremental: int = 1_500_000, partitions: int | None = None
) -> list[dict[str, Any]]:
    """Rebuild and incremental figures (``name, measured, goal, direction, kind, unit``:
    the fields of ``bench/goals.Goal``). Needs Django set up on a PostgreSQL database."""
    from django.db import connection

    from bench.reporting import _print_progress
    from persx.analytics.services import (
        DEFAULT_PARTITIONS,
        REBUILD_PARTITIONS,
        rebuild_rollups,
        update_rollups,
    )
    from persx.demo.simulation_records import ensure_simulation_experiment

    rebuild_shares = REBUILD_PARTITIONS if partitions is None else partitions
    shares = DEFAULT_PARTITIONS if partitions is None else partitions
    database = str(connection.settings_dict["NAME"])
    ensure_simulation_experiment()
    _empty()
    stored = _generate(events, salt="base")
    print(
        f"  partitions per step       : rebuild {rebuild_shares}, incremental {shares}", flush=True
    )
    with DatabaseBackendsCpu(database) as backends:
        run = rebuild_rollups(
            progress=_print_progress("events rolled up"), partitions=rebuild_shares
        )
    cpu = backends.seconds
    rate = stored / run.seconds
    print(
        f"  rollup rebuild            : {rate:12,.0f} events/s   ({stored:,} events in "
        f"{run.seconds:.1f} s; goal >= {REBUILD_GOAL_EVENTS_PER_S:,}); PostgreSQL backends "
        f"({backends.backends}) {cpu:.1f} CPU-s = {stored / max(cpu, 1e-9):,.0f} events per "
        f"CPU-second (load {_load()})",
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
        with DatabaseBackendsCpu(database) as backends:
            step = update_rollups(
                progress=_print_progress("new events rolled up"), partitions=shares
            )
        cpu = backends.seconds
        print(
            f"  rollup incremental step   : {step.seconds:12.1f} s   ({total - stored:,} new "
            f"events onto {stored:,}; {step.events_per_second:,.0f} events/s; "
            f"goal < {INCREMENTAL_GOAL_S:.0f} s); PostgreSQL backends ({backends.backends}) "
            f"{cpu:.1f} CPU-s = {(total - stored) / max(cpu, 1e-9):,.0f} events per CPU-second "
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
    parser.add_argument("--partitions", type=int, default=None)
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["rollup_scale", *sys.argv[1:]]):
        prepare_database()
        print(f"== PostgreSQL rollups (load average {_load()}) ==", flush=True)
        measure(args.events, args.incremental, args.partitions)
        print(f"== done (load average {_load()}) ==", flush=True)


if __name__ == "__main__":
    main()
