"""PostgreSQL at scale: insert events per PostgreSQL core, rollups per million events, reports.

Run (own database; created and migrated if missing; its events and rollups are emptied)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg \\
        .venv/bin/python bench/postgresql_scale.py --events 1000000

1. **Insert throughput**: ``--clients`` processes each store ``--batches`` batches of 500
   events through the site's own insert (``persx.events.services.store_rows``: the
   partitioned table + the received-id check, one durable transaction per batch). Wall
   events/s, and events per CPU-second of the PostgreSQL backends serving them (their
   ``/proc/<pid>/stat``), i.e. what one PostgreSQL core sustains.
2. **Generator**: ``--events`` raw events made inside PostgreSQL (``generate_series``, one
   ``INSERT … SELECT`` per day, no Python per row) over 90 days ending today, into the
   monthly partitions: the journey of ``bench/planted_journey.py`` (page view, three exposures,
   10% global holdout, ``pli-contact`` 50/50, conversions).
3. **Rollups**: ``rebuild_rollups`` over all of them: seconds per million events.
4. **Reports** at that size: ``pli-contact``, the global holdout report, the overview.
5. **Retention**: dropping the oldest month's partition vs deleting the same rows.

Prints the machine's load average before and after: the figures are only comparable at a
similar load. Needs to run on the database host (reads ``/proc`` of the backends).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.planted_journey import (  # noqa: E402
    DAYS,
    EVENTS_PER_VISITOR,
    event_values,
    journey_selects,
)

BATCH = 500
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "persx.settings.test")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database of its own")
    import django

    django.setup()


def _backend_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _insert_client(batches: int, ready: Any, start: Any, out: Any) -> None:
    _setup()
    import uuid
    from datetime import UTC, datetime

    from django.db import connection

    from persx.events.event_row import EventRow, VisitorColumns
    from persx.events.services import store_rows

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    ready.put(pid)
    start.wait()  # every client set up (Django, connection) before any is timed
    before = _backend_cpu_s(pid)
    client_before = time.process_time()
    started = time.perf_counter()
    stored = 0
    for b in range(batches):
        now = datetime.now(UTC)
        who = VisitorColumns(uuid.uuid4().hex, industry="saas")
        rows = [
            EventRow(uuid.uuid4(), "cta_click", now, now, f"/bench/{b}", who) for _ in range(BATCH)
        ]
        stored += store_rows(rows)
    wall = time.perf_counter() - started
    out.put((stored, wall, _backend_cpu_s(pid) - before, time.process_time() - client_before))


def bench_inserts(clients: int, batches: int) -> list[dict[str, Any]]:
    """``clients`` processes storing ``batches`` batches of 500 each, timed together once all
    are set up: wall events/s, and events per CPU-second of their PostgreSQL backends."""
    spawn = multiprocessing.get_context("spawn")  # a fresh process: no inherited connection
    ready, out, start = spawn.Queue(), spawn.Queue(), spawn.Event()
    procs = [
        spawn.Process(target=_insert_client, args=(batches, ready, start, out))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    start.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[1] for r in results)  # all started together: the last one to finish
    stored = sum(r[0] for r in results)
    pg_cpu = sum(r[2] for r in results)
    client_cpu = sum(r[3] for r in results)
    per_cpu = stored / max(pg_cpu, 1e-9)
    print(
        f"  inserts, {clients} client(s) x {batches} batches of {BATCH}: {stored:,} events, "
        f"{stored / wall:,.0f} events/s wall; PostgreSQL backends used {pg_cpu:.2f} CPU-s "
        f"= {per_cpu:,.0f} events per PostgreSQL CPU-second; the client processes (Python: "
        f"rows, parameters, the driver) {client_cpu:.2f} CPU-s = "
        f"{stored / max(client_cpu, 1e-9):,.0f} events per client CPU-second (load {_load()})",
        flush=True,
    )
    return [
        {
            "name": f"PostgreSQL events stored per backend CPU-second ({clients} client(s))",
            "measured": per_cpu,
            "goal": 25_000,
            "direction": ">=",
            "kind": "absolute",
            "unit": "events/CPU-s",
        },
        {
            "name": f"PostgreSQL events stored per second, wall ({clients} client(s))",
            "measured": stored / wall,
            "goal": 20_000,
            "direction": ">=",
            "kind": "absolute",
            "unit": "events/s",
        },
    ]


def bench_insert_methods(batches: int = 20) -> None:
    """One batch of 500 three ways, in this process (Django set up on PostgreSQL), each in its
    own transaction: the client's CPU (this process: rows to parameters, the driver) and the
    backend's CPU per batch, and wall time. (1) the unnest statement with Django's default
    cursor (parameters quoted into the SQL text on the client), (2) the same statement bound
    on the server in binary (``persx.events.batch_insert``, what the site runs), (3) COPY into
    a temporary staging table + one ``INSERT … SELECT`` of the same dedup."""
    import uuid
    from datetime import UTC, datetime

    import psycopg
    from django.db import connection, transaction

    from persx.events import batch_insert
    from persx.events.event_row import EVENT_COLUMNS, EventRow, VisitorColumns, row_params
    from persx.events.models import Event

    fields = {f.name: f for f in Event._meta.concrete_fields}
    names = ", ".join(str(fields[n].column) for n in EVENT_COLUMNS)
    bound = batch_insert._postgresql_sql()
    quoted = bound.replace("%b", "%s")
    unnest = bound[bound.index("FROM unnest") : bound.index(" ORDER BY")]
    staged = bound.replace(
        unnest, "FROM (SELECT *, row_number() OVER () AS n FROM persx_bench_incoming) t"
    )
    definitions = ", ".join(
        f"{fields[n].column} {fields[n].db_type(connection)}" for n in EVENT_COLUMNS
    )

    def client_bound(params: list[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(quoted, [list(c) for c in zip(*params, strict=True)])

    def server_bound(params: list[tuple[Any, ...]]) -> None:
        batch_insert.insert_batch(params)

    def copied(params: list[tuple[Any, ...]]) -> None:
        with psycopg.Cursor(connection.connection) as cursor:
            with cursor.copy(f"COPY persx_bench_incoming ({names}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            cursor.execute(staged)

    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS persx_bench_incoming ({definitions}) "
            "ON COMMIT DELETE ROWS"
        )
    print(f"  one batch of {BATCH}, three ways ({batches} batches each, load {_load()}):")
    for label, method in (
        ("unnest, parameters quoted on the client (Django's cursor)", client_bound),
        ("unnest, bound on the server in binary (the site's insert)", server_bound),
        ("COPY into a temporary table + INSERT ... SELECT", copied),
    ):

        def batch() -> list[tuple[Any, ...]]:
            now = datetime.now(UTC)
            who = VisitorColumns(uuid.uuid4().hex, industry="saas")
            return row_params(
                [EventRow(uuid.uuid4(), "cta_click", now, now, "/bench", who) for _ in range(BATCH)]
            )

        prepared = [batch() for _ in range(batches + 5)]
        for params in prepared[:5]:  # warm: plans, prepared statements
            with transaction.atomic():
                method(params)
        client, backend, started = time.process_time(), _backend_cpu_s(pid), time.perf_counter()
        for params in prepared[5:]:
            with transaction.atomic():
                method(params)
        wall = time.perf_counter() - started
        client_ms = (time.process_time() - client) * 1000 / batches
        backend_ms = (_backend_cpu_s(pid) - backend) * 1000 / batches
        print(
            f"    {label:<58}: client CPU {client_ms:5.2f} ms, PostgreSQL CPU "
            f"{backend_ms:5.2f} ms, wall {wall * 1000 / batches:6.1f} ms per batch",
            flush=True,
        )


def prepare_database() -> None:
    """Create (if missing), migrate and seed the bench's own database; Django set up."""
    import subprocess

    subprocess.run([sys.executable, str(ROOT / "scripts" / "ensure_database.py")], check=True)
    _setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", verbosity=0)


def measure_inserts(clients: int = 2, batches: int = 40) -> list[dict[str, Any]]:
    """The insert figures for ``bench/run.py`` (fields of ``bench/goals.Goal``): the three ways
    of sending a batch compared, then one client, then ``clients`` at once. Needs Django set
    up on a PostgreSQL database."""
    _empty()
    bench_insert_methods(batches)
    _empty()
    figures = bench_inserts(1, batches) + bench_inserts(clients, batches)
    _empty()
    return figures


def _generate(total: int, salt: str = "") -> int:
    """About ``total`` events over the last DAYS days, made by PostgreSQL itself; ``salt``
    names the visitors (another salt: new visitors). Returns the events now stored."""
    from django.db import connection, transaction
    from django.utils import timezone

    from persx.events.event_row import EVENT_COLUMNS
    from persx.events.models import Event
    from persx.events.partitions import maintain

    now = timezone.now()
    first = now - timedelta(days=DAYS)
    maintain(first, ahead=4, retention_months=None)  # partitions for every generated month
    visitors = max(1, round(total / EVENTS_PER_VISITOR))
    per_day = visitors // DAYS + 1
    table = Event._meta.db_table

    def row(order: int, kind: str, offset: int, where: str | None = None, **fields: str) -> str:
        values = {
            "event_id": "gen_random_uuid()",
            **event_values(
                kind,
                f"v.at + interval '{offset} seconds'",
                null_value="NULL::double precision",
                empty_properties="'{}'::jsonb",
                **fields,
            ),
        }
        selected = ", ".join(f"{values[c]} AS {c}" for c in EVENT_COLUMNS)
        return f"SELECT {selected} FROM v WHERE {where or 'true'}"

    parts = journey_selects(row, engagement_seconds="(1 + mod(v.r3, 120))::double precision")
    columns = ", ".join(EVENT_COLUMNS)
    started = time.perf_counter()
    for day in range(DAYS):
        visitors_sql = (
            f"WITH v AS MATERIALIZED (SELECT md5(%s || ':' || n) AS vid, "
            f"(ARRAY['ecommerce','healthcare','saas','financial-services','travel'])"
            f"[1 + floor(random() * 5)::int] AS industry, random() < 0.1 AS held, "
            f"random() < 0.5 AS treated, "
            f"%s::timestamptz + (random() * 86000) * interval '1 second' AS at, "
            f"floor(random() * 10000)::int AS r1, floor(random() * 10000)::int AS r2, "
            f"floor(random() * 10000)::int AS r3 FROM generate_series(1, {per_day}) n) "
        )
        sql = (
            f"{visitors_sql}INSERT INTO {table} ({columns}) "
            f"SELECT * FROM ({' UNION ALL '.join(parts)}) e ORDER BY occurred_at"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [f"{salt}{day}", first + timedelta(days=day)])
        if (day + 1) % 15 == 0:
            print(f"    generated day {day + 1}/{DAYS}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        inserted = int(cursor.fetchone()[0])
    seconds = time.perf_counter() - started
    print(
        f"  generator: {inserted:,} events for ~{visitors:,} visitors in {seconds:.0f} s "
        f"({inserted / seconds:,.0f} events/s, one backend, indexes maintained)",
        flush=True,
    )
    return inserted


def _empty() -> None:
    from django.db import connection

    from persx.analytics.models import (
        DailyRollup,
        ExperimentVisitor,
        RollupState,
        VisitorConversion,
    )
    from persx.events.models import Event, ReceivedEventId

    tables = [
        m._meta.db_table
        for m in (
            Event,
            ReceivedEventId,
            DailyRollup,
            ExperimentVisitor,
            VisitorConversion,
            RollupState,
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)}")


def bench_retention() -> None:
    from django.db import connection, transaction

    from persx.events.models import Event
    from persx.events.partitions import drop_partition, monthly_partitions

    with connection.cursor() as cursor:
        for month in monthly_partitions():
            cursor.execute(f"SELECT COUNT(*) FROM {month.partition}")
            rows = int(cursor.fetchone()[0])
            if rows:
                break
        else:
            return

    class RolledBack(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Event._meta.db_table} WHERE occurred_at >= %s AND occurred_at < %s",
                [month.start, month.end],
            )
            delete_s = time.perf_counter() - started
            raise RolledBack  # measured only: the partition is dropped below
    except RolledBack:
        pass
    started = time.perf_counter()
    drop_partition(month)
    drop_s = time.perf_counter() - started
    print(
        f"  retention of {month} ({rows:,} events): DELETE {delete_s * 1000:,.0f} ms "
        f"(+ vacuum later) vs DETACH + DROP partition {drop_s * 1000:,.0f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--skip-inserts", action="store_true")
    parser.add_argument("--inserts-only", action="store_true")
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["postgresql_scale", *sys.argv[1:]]):
        _run(args)


def _run(args: argparse.Namespace) -> None:
    prepare_database()
    print(f"== PostgreSQL scale (load average {_load()}, {os.cpu_count()} cores) ==", flush=True)
    _empty()
    if not args.skip_inserts:
        measure_inserts(args.clients, args.batches)
    if args.inserts_only:
        return

    from bench.reporting import _median_seconds, _print_progress
    from persx.analytics.overview import build_overview
    from persx.analytics.report_queries import find_design, holdout_design
    from persx.analytics.reports import build_report
    from persx.analytics.services import rebuild_rollups
    from persx.demo.simulation_records import ensure_simulation_experiment

    ensure_simulation_experiment()
    events = _generate(args.events)
    run = rebuild_rollups(progress=_print_progress("events rolled up"))
    print(
        f"  rollup rebuild: {events:,} events in {run.seconds:.1f} s = "
        f"{run.seconds / (events / 1e6):.1f} s per million events "
        f"({events / run.seconds:,.0f} events/s)",
        flush=True,
    )
    design = find_design("pli-contact")
    assert design is not None
    for label, fn in (
        ("report pli-contact", lambda: build_report(design)),
        ("report global-holdout", lambda: build_report(holdout_design())),
        ("personalization overview", build_overview),
    ):
        cold, warm = _median_seconds(fn, 5)
        print(f"  {label:<26}: {warm * 1000:7.0f} ms median (first {cold * 1000:.0f} ms)")
    bench_retention()
    _empty()
    print(f"== done (load average {_load()}) ==", flush=True)


if __name__ == "__main__":
    main()
