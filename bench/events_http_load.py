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

The rate limits stay on at their production values (60 batches a minute per visitor, 600
per client address). Load from one machine is one address, which the per-address limit
would refuse after 600 batches a minute, as it should; real load comes from many. So the
server runs as behind a load balancer (``PERSX_TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR``,
one hop) and each simulated visitor sends its own ``X-Forwarded-For`` address from
198.18.0.0/15 (RFC 2544's benchmark range). The output counts refusals (429) apart from
other failures; any 429 means a limit, not the server, capped the figure. ``--one-address``
sends no such header (all load is this machine's one address): the per-address limit
then refuses every batch past 600 a minute, which shows the limit working.

``--page /contact/`` requests that page instead (as the same visitors): it counts pages
served (200), not events.

Prints events/s and requests/s, latency percentiles, and where the CPU went: the gunicorn
workers' and the PostgreSQL backends' CPU-seconds (``/proc``), i.e. the cost per event on
each side. Same machine for load, server and database: read the figures with the load
average printed next to them.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.site_process import gunicorn_argv, running  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BATCHES_PER_VISITOR = 50  # the rate limit allows 60 a minute per visitor
# One client address per visitor, sent as X-Forwarded-For (trusted by this bench's server).
VISITOR_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")
ADDRESSES_PER_CLIENT = 10_000  # each load process takes its own block of the range


def _address(client: int, visitor: int) -> str:
    index = client * ADDRESSES_PER_CLIENT + visitor % ADDRESSES_PER_CLIENT
    return str(VISITOR_NETWORK[1 + index % (VISITOR_NETWORK.num_addresses - 2)])


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

    from persx.engine.visitor.profile import Provenance, VisitorProfile
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
    number: int = 0,
    ready: Any = None,
    go: Any = None,
    one_address: bool = False,
) -> None:
    make_cookie = _cookie_maker(secret)
    from persx.config import config

    name = config().profile_cookie_name
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    accepted = failures = refused = served = 0
    sent_batches = visitors = 0
    cookie = make_cookie()  # type: ignore[operator]
    if ready is not None and go is not None:  # every client starts at the same moment
        ready.wait()
        go.wait()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sent_batches and sent_batches % BATCHES_PER_VISITOR == 0:
            cookie = make_cookie()  # type: ignore[operator]
            visitors += 1
        headers = {"Cookie": f"{name}={cookie}"}
        if not one_address:
            headers["X-Forwarded-For"] = _address(number, visitors)
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
        if response.status == 429:
            refused += 1
        elif response.status == 200 and page:
            served += 1
        elif response.status == 200 and json.loads(payload)["accepted"] == batch:
            accepted += batch
        else:
            failures += 1
    out.put((accepted, failures, latencies, refused, served))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8751)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--page", default="", help="GET this page instead of posting events")
    parser.add_argument(
        "--one-address",
        action="store_true",
        help="All load from this machine's one address (no X-Forwarded-For): shows the "
        "per-address limit refusing what passes 600 batches a minute.",
    )
    args = parser.parse_args()
    from bench.record import recorded_run

    with recorded_run(["events_http_load", *sys.argv[1:]]):
        measure(args)


EVENTS_GOAL_PER_S = 5_000  # 2 workers, batches of 100 (issue 18)


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run the load against a fresh gunicorn; the figures (fields of ``bench/goals.Goal``)."""
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
        # As behind a load balancer: each visitor's X-Forwarded-For is its address.
        "PERSX_TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR",
        "PERSX_TRUSTED_PROXY_HOPS": "1",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
    }
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "scripts/ensure_database.py"], cwd=ROOT, env=env, check=True)
    setup = (
        ["migrate", "-v0"],
        ["persx_database_roles"],
        ["persx_events_partitions"],
        ["seed_demo"],
        ["collectstatic", "--noinput", "-v0"],  # pages need the static manifest (make serve)
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
        set_up = spawn.Barrier(args.clients + 1)
        go = spawn.Event()
        clients = [
            spawn.Process(
                target=_client,
                args=(
                    args.port,
                    args.seconds,
                    args.batch,
                    secret,
                    queue,
                    args.page,
                    number,
                    set_up,
                    go,
                    args.one_address,
                ),
            )
            for number in range(args.clients)
        ]
        for c in clients:
            c.start()
        set_up.wait(timeout=300)  # every client has set up Django (slow on a loaded machine)
        backends = _postgres_backends(database)
        worker_cpu = {p: _cpu_s(p) for p in workers}
        pg_cpu = {p: _cpu_s(p) for p in backends}
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT COALESCE(MAX(id), 0) FROM persx_events_event").fetchone()
        first_id = int(row[0]) if row else 0  # rows stored by this run have larger ids
        go.set()
        started = time.perf_counter()
        results = [queue.get() for _ in clients]
        wall = time.perf_counter() - started
        for c in clients:
            c.join()
        worker_used = sum(_cpu_s(p) - worker_cpu[p] for p in workers)
        # Backends opened during the run (e.g. the exposure writer's) count from zero.
        pg_used = sum(
            _cpu_s(p) - pg_cpu.get(p, 0.0) for p in {*backends, *_postgres_backends(database)}
        )
        accepted = sum(r[0] for r in results)
        failures = sum(r[1] for r in results)
        refused = sum(r[3] for r in results)
        served = sum(r[4] for r in results)
        latencies = sorted(x for r in results for x in r[2])
        requests = len(latencies)
        seconds = args.seconds
        what = f"GET {args.page}" if args.page else "POST /api/events"
        sizes = "" if args.page else f", batches of {args.batch}"
        print(
            f"== {what} on gunicorn ({args.workers} worker x {args.threads} threads), "
            f"PostgreSQL; {args.clients} clients{sizes}, {seconds:.0f} s; "
            f"load average {load_before[0]:.2f} -> {os.getloadavg()[0]:.2f} "
            f"({os.cpu_count()} cores) =="
        )
        print(
            "  rate limits on (60 batches/min per visitor, 600 per address); "
            + (
                "all load from one address (this machine)"
                if args.one_address
                else "each visitor its own X-Forwarded-For address, trusted by this server"
            )
        )
        if args.page:
            print(
                f"  {served:,} pages served (200) of {requests:,} requests, {refused} refused "
                f"(429), {failures} other answers: {served / seconds:,.1f} pages/s"
            )
        else:
            print(
                f"  {accepted:,} events accepted in {requests:,} requests, {refused} refused "
                f"(429), {failures} other failures: {accepted / seconds:,.0f} events/s, "
                f"{requests / seconds:,.0f} req/s"
            )
        print(
            f"  latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
            f"p95 {latencies[int(0.95 * (requests - 1))] * 1000:.1f} ms"
        )
        done, unit = (served, "pages") if args.page else (accepted, "events")

        def per_cpu_second(used: float) -> str:
            return f"{done / used:,.0f}" if used >= 0.1 else "n/a"

        print(
            f"  CPU: gunicorn workers {worker_used:.1f} s "
            f"({per_cpu_second(worker_used)} {unit} per worker CPU-second), "
            f"PostgreSQL backends {pg_used:.1f} s "
            f"({per_cpu_second(pg_used)} {unit} per PostgreSQL CPU-second) "
            f"over {wall:.0f} s"
        )
        kind = "page_view" if args.page else "cta_click"
        time.sleep(1.0)  # page views go through the workers' writer thread (0.5 s batches)
        with psycopg.connect(url, autocommit=True) as conn:
            stored = conn.execute(
                "SELECT COUNT(*) FROM persx_events_event WHERE type = %s AND id > %s",
                [kind, first_id],
            ).fetchone()
        print(f"  {kind} rows this run stored, counted afterwards: {stored[0] if stored else 0:,}")
    name = "pages served" if args.page else "events accepted"
    return [
        {
            "name": f"POST /api/events, {args.workers} gunicorn workers, batches of {args.batch}"
            if not args.page
            else f"GET {args.page}, {args.workers} gunicorn workers",
            "measured": done / seconds,
            "goal": EVENTS_GOAL_PER_S if not args.page else 0,
            "direction": ">=",
            "kind": "absolute",
            "unit": f"{name.split()[0]}/s",
        }
    ]


if __name__ == "__main__":
    main()
