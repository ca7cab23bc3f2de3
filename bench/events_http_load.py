"""``POST /api/events`` against a real gunicorn on PostgreSQL: events/s per worker.

Run (own database and port; the server is started and stopped by the script)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/persx_bench_pg \\
        .venv/bin/python bench/events_http_load.py --port 8751 --seconds 20 --batch 20

Starts ``gunicorn -c deploy/gunicorn.conf.py`` with the production settings
(``PERSX_WORKERS`` workers × ``PERSX_THREADS`` threads; consent mode ``opt_out`` so events
of visitors without a consent cookie are stored), waits for ``/health/ready``, then
``--clients`` load processes each post batches of ``--batch`` events for ``--seconds``
seconds, over keep-alive connections, as many distinct visitors (signed profile cookies;
each visitor stays under the per-visitor rate limit). Every answer must be 200 with the
whole batch accepted, and the stored rows are counted afterwards.

Prints events/s and requests/s, latency percentiles, and where the CPU went: the gunicorn
workers' and the PostgreSQL backends' CPU-seconds (``/proc``), i.e. the cost per event on
each side. Same machine for load, server and database: read the figures with the load
average printed next to them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.site_process import gunicorn_argv, running  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BATCHES_PER_VISITOR = 50  # the rate limit allows 60 a minute per visitor


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _postgres_backends(database: str) -> list[int]:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [int(r[0]) for r in rows]


def _cookie_maker(secret: str) -> object:
    os.environ["DJANGO_SETTINGS_MODULE"] = "persx.settings.production"
    os.environ["DJANGO_SECRET_KEY"] = secret
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.utils import timezone

    from persx.engine.profile import Provenance, VisitorProfile
    from persx.profiles import cookie

    def make() -> str:
        now = timezone.now()
        profile = VisitorProfile(
            secrets.token_hex(16),
            industry="saas",
            industry_source=Provenance.START_FORM,
            set_at=now,
            updated_at=now,
        )
        return cookie.encode(profile, now)

    return make


def _client(
    port: int,
    seconds: float,
    batch: int,
    secret: str,
    out: multiprocessing.Queue,  # type: ignore[type-arg]
    page: str = "",
) -> None:
    make_cookie = _cookie_maker(secret)
    from persx.config import config

    name = config().profile_cookie_name
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    accepted = failures = 0
    sent_batches = 0
    cookie = make_cookie()  # type: ignore[operator]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sent_batches and sent_batches % BATCHES_PER_VISITOR == 0:
            cookie = make_cookie()  # type: ignore[operator]
        headers = {"Cookie": f"{name}={cookie}"}
        started = time.perf_counter()
        if page:  # a page view (the exposures go through the writer thread)
            conn.request("GET", page, headers=headers)
        else:
            now = datetime.now(UTC).isoformat()
            events = [
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "cta_click",
                    "occurred_at": now,
                    "page": "/",
                }
                for _ in range(batch)
            ]
            headers["Content-Type"] = "application/json"
            headers["Origin"] = f"http://127.0.0.1:{port}"
            conn.request("POST", "/api/events", json.dumps({"events": events}), headers)
        response = conn.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - started)
        sent_batches += 1
        if response.status == 200 and (page or json.loads(payload)["accepted"] == batch):
            accepted += 0 if page else batch
        else:
            failures += 1
    out.put((accepted, failures, latencies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8751)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--page", default="", help="GET this page instead of posting events")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database of its own")
    database = url.rsplit("/", 1)[1]
    secret = secrets.token_urlsafe(40)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "persx.settings.production",
        "DJANGO_SECRET_KEY": secret,
        "PERSX_TLS": "0",
        "PERSX_BIND": f"127.0.0.1:{args.port}",
        "PERSX_WORKERS": str(args.workers),
        "PERSX_THREADS": str(args.threads),
        "PERSX_CONSENT_MODE": "opt_out",
        "PERSX_LOG_LEVEL": "warning",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "scripts/ensure_database.py"], cwd=ROOT, env=env, check=True)
    setup = (
        ["migrate", "-v0"],
        ["persx_database_roles"],
        ["persx_events_partitions"],
        ["seed_demo"],
    )
    for command in setup:
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
    log = ROOT / "var" / "events_http_load.log"
    log.parent.mkdir(exist_ok=True)
    ready = f"http://127.0.0.1:{args.port}/health/ready"
    with running(gunicorn_argv(), env, log, ready, timeout=120, grace=60) as server:
        workers = _children(server.pid)
        load_before = os.getloadavg()
        spawn = multiprocessing.get_context("spawn")  # no inherited connections
        queue = spawn.Queue()
        clients = [
            spawn.Process(
                target=_client,
                args=(args.port, args.seconds, args.batch, secret, queue, args.page),
            )
            for _ in range(args.clients)
        ]
        for c in clients:
            c.start()
        time.sleep(3)  # clients set up Django and open their connections
        backends = _postgres_backends(database)
        worker_cpu = {p: _cpu_s(p) for p in workers}
        pg_cpu = {p: _cpu_s(p) for p in backends}
        started = time.perf_counter()
        results = [queue.get() for _ in clients]
        wall = time.perf_counter() - started + 3  # the clients' own clock started ~3 s earlier
        for c in clients:
            c.join()
        worker_used = sum(_cpu_s(p) - worker_cpu[p] for p in workers)
        pg_used = sum(_cpu_s(p) - pg_cpu[p] for p in backends)
        accepted = sum(r[0] for r in results)
        failures = sum(r[1] for r in results)
        latencies = sorted(x for r in results for x in r[2])
        requests = len(latencies)
        seconds = args.seconds
        what = f"GET {args.page}" if args.page else "POST /api/events"
        print(
            f"== {what} on gunicorn ({args.workers} worker x {args.threads} threads), "
            f"PostgreSQL; {args.clients} clients, batches of {args.batch}, {seconds:.0f} s; "
            f"load average {load_before[0]:.2f} -> {os.getloadavg()[0]:.2f} "
            f"({os.cpu_count()} cores) =="
        )
        print(
            f"  {accepted:,} events accepted in {requests:,} requests ({failures} not fully "
            f"accepted): {accepted / seconds:,.0f} events/s, {requests / seconds:,.0f} req/s"
        )
        print(
            f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {latencies[int(0.95 * (requests - 1))] * 1000:.1f} ms"
        )
        print(
            f"  CPU: gunicorn workers {worker_used:.1f} s "
            f"({accepted / max(worker_used, 1e-9):,.0f} events per worker CPU-second), "
            f"PostgreSQL backends {pg_used:.1f} s "
            f"({accepted / max(pg_used, 1e-9):,.0f} events per PostgreSQL CPU-second) "
            f"over {wall:.0f} s"
        )
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            stored = conn.execute(
                "SELECT COUNT(*) FROM persx_events_event WHERE type = 'cta_click' "
                "AND received_at > now() - %s * interval '1 second'",
                [seconds + 120],
            ).fetchone()
        print(f"  stored rows counted afterwards: {stored[0] if stored else 0:,}")


if __name__ == "__main__":
    main()
