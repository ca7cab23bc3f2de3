"""Speed of ``POST /api/decisions`` beside a page render, 2 gunicorn workers.

The contact page's 3 blocks (hero, contact form, testimonial) decided for a stated
healthcare visitor with an app key (decide+record: the page view and 3 exposures are queued
as a page view's are), and the same visitor's server-rendered ``GET /contact/``, in the
same run, against the same 2-worker gunicorn (deploy/gunicorn.conf.py, gthread) on the
**production settings** (``bench/production_settings.py``: ``persx.settings.production``
with PostgreSQL and Redis, prepared as ``make serve`` prepares them: migrate, the event
partitions, the database roles, the demo site, collectstatic) on its own PostgreSQL
database ``persx_decisions_bench`` (dropped and created afresh; ``PERSX_BENCH_DECISIONS_
DATABASE_URL`` names another) and Redis database 13 (flushed;
``PERSX_BENCH_DECISIONS_REDIS_URL``). The app key and the visitor's signed cookie are made
by that site's own code (a child process with its settings and secret).

1. Capacity: closed-loop keep-alive clients for a few seconds per side, requests/s.
2. Latency at the sustainable load: open-loop arrivals (a fixed schedule, measured from
   each request's scheduled time, so a stalled server is not hidden by the client waiting)
   at ``LOAD_SHARE`` of each side's own capacity, sides alternating in rounds; p50/p90/p99.
   Goal: decisions p99 <= 30 ms.

``decisions_speed(var_dir)`` returns the figures as the lines ``make bench`` records
(bench/record.py); ``python bench/decisions_speed.py`` runs it alone (a fresh database) and
keeps its output in bench/results/.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.page_speed import server_cpu_seconds  # noqa: E402
from bench.production_site import flush_redis, fresh_database, persx_env, run  # noqa: E402
from harness.site_process import free_port, gunicorn_argv, running  # noqa: E402

GOAL_P99_MS = 30.0
LOAD_SHARE = 0.5  # of the measured capacity: the sustainable load
CONNECTIONS = 8
ROUNDS = 3

Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


DATABASE_URL = os.environ.get(
    "PERSX_BENCH_DECISIONS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/persx_decisions_bench",
)
REDIS_URL = os.environ.get("PERSX_BENCH_DECISIONS_REDIS_URL", "redis://127.0.0.1:6379/13")
VISITOR_ID = "0123456789abcdef0123456789abcdef"


def production_site(var_dir: Path) -> dict[str, str]:
    """The site's environment, its database made afresh and prepared as ``make serve`` does."""
    env = persx_env(var_dir / "decisions") | {"DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL}
    fresh_database(DATABASE_URL)
    flush_redis(REDIS_URL)
    manage = [sys.executable, "manage.py"]
    for command in (
        ["migrate", "--noinput", "-v", "0"],
        ["persx_events_partitions", "--ahead", "3"],
        ["persx_database_roles"],
        ["seed_demo"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        run([*manage, *command], env)
    return env


@contextmanager
def _gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    ready = f"http://127.0.0.1:{port}/api/catalog"
    with running(gunicorn_argv(port, workers=2), env, log, ready) as proc:
        yield port, proc.pid


def _send(conn: http.client.HTTPConnection, request: Request) -> int:
    method, path, body, headers = request
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def closed_loop(port: int, request: Request, seconds: float) -> float:
    """Requests per second of ``CONNECTIONS`` keep-alive clients sending back to back."""
    done = [0] * CONNECTIONS
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            if _send(conn, request) == 200:
                done[index] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started)


def open_loop(port: int, request: Request, rate: float, seconds: float) -> tuple[list[float], int]:
    """Latencies (ms, from each request's scheduled time) of requests scheduled every
    ``1/rate`` s for ``seconds``, sent by ``CONNECTIONS`` keep-alive clients; failures."""
    count = max(1, int(rate * seconds))
    start = time.monotonic() + 0.05
    schedule = iter(range(count))
    lock = threading.Lock()
    latencies: list[float] = []
    failures = [0]

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(schedule, None)
            if index is None:
                break
            due = start + index / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            status = _send(conn, request)
            elapsed = (time.monotonic() - due) * 1000
            with lock:
                latencies.append(elapsed)
                failures[0] += status != 200
        conn.close()

    threads = [threading.Thread(target=run) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failures[0]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def print_credentials() -> None:
    """(In a child process on the site's settings) an app key and the visitor's cookie, JSON."""
    import django

    django.setup()
    from persx.config import config
    from persx.headless.models import KeyScope
    from persx.headless.services import create_key
    from tests.web.conftest import profile_cookie

    key = create_key("bench", KeyScope.DECIDE_RECORD, requests_per_minute=100_000).text
    cookie = f"{config().profile_cookie_name}={profile_cookie('healthcare', visitor_id=VISITOR_ID)}"
    print(json.dumps({"key": key, "cookie": cookie}))


def _requests(env: dict[str, str]) -> dict[str, Request]:
    made = json.loads(run([sys.executable, str(Path(__file__)), "credentials"], env))
    key, cookie = made["key"], made["cookie"]
    body = {"page": "/contact/", "visitor": {"id": VISITOR_ID, "industry": "healthcare"}}
    return {
        "decision": (
            "POST",
            "/api/decisions",
            json.dumps(body).encode(),
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        ),
        "page": ("GET", "/contact/", None, {"Cookie": cookie}),
    }


def decisions_speed(var_dir: Path) -> list[str]:
    seconds = float(os.environ.get("PERSX_BENCH_HTTP_SECONDS", "6"))
    env = production_site(var_dir)
    requests = _requests(env)
    lines = [
        "== POST /api/decisions (3 blocks, app key, recorded) beside GET /contact/, "
        "2 gunicorn workers, production settings (PostgreSQL + Redis) ==",
        f"   before: load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} "
        f"(1/5/15 min, {os.cpu_count()} cores)",
    ]
    cpu_ms: dict[str, float] = {}
    with _gunicorn(env, var_dir / "gunicorn-decisions.log") as (port, master):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for name, request in requests.items():  # warm: both answer, caches filled
            for _ in range(20):
                status = _send(conn, request)
                assert status == 200, (name, status)
        conn.close()
        capacity = {}
        for name, request in requests.items():
            cpu_before = server_cpu_seconds(master)
            capacity[name] = closed_loop(port, request, seconds / 2)
            served = capacity[name] * seconds / 2
            cpu_ms[name] = (server_cpu_seconds(master) - cpu_before) * 1000 / served
        rate = {name: LOAD_SHARE * capacity[name] for name in requests}
        latencies: dict[str, list[float]] = {name: [] for name in requests}
        failures = dict.fromkeys(requests, 0)
        for _ in range(ROUNDS):
            for name, request in requests.items():
                measured, failed = open_loop(port, request, rate[name], seconds / ROUNDS * 2)
                latencies[name] += measured
                failures[name] += failed
    lines.append(
        f"   capacity (closed loop, {CONNECTIONS} clients): decisions "
        f"{capacity['decision']:.0f}/s, page {capacity['page']:.0f}/s"
    )
    lines.append(
        f"   server CPU per request (workers, /proc; the figure other load on the machine "
        f"does not inflate): decision {cpu_ms['decision']:.1f} ms, page {cpu_ms['page']:.1f} ms"
    )
    lines.append(
        f"   sustainable load: {LOAD_SHARE:.0%} of each side's capacity (decisions "
        f"{rate['decision']:.0f}/s, page {rate['page']:.0f}/s), open loop, {ROUNDS} "
        "alternating rounds per side"
    )
    for name, label in (("decision", "decisions (3 blocks)"), ("page", "page render /contact/")):
        values = latencies[name]
        lines.append(
            f"  {label:24}: p50 {statistics.median(values):6.1f} ms  p90 "
            f"{_quantile(values, 0.9):6.1f} ms  p99 {_quantile(values, 0.99):6.1f} ms  "
            f"({len(values)} requests, {failures[name]} failed)"
        )
    p99 = _quantile(latencies["decision"], 0.99)
    verdict = "met" if p99 <= GOAL_P99_MS else "NOT met"
    lines.append(f"  decisions p99 {p99:.1f} ms: goal <= {GOAL_P99_MS:.0f} ms {verdict}")
    lines.append(f"   after: load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return lines


def bench_decisions_speed(var_dir: Path) -> None:
    for line in decisions_speed(var_dir):
        print(line, flush=True)


def main() -> None:
    import tempfile

    from bench.record import recorded_run

    if sys.argv[1:] == ["credentials"]:
        print_credentials()
        return
    with recorded_run(["decisions"]):
        var_dir = Path(os.environ.get("PERSX_VAR_DIR") or tempfile.mkdtemp(prefix="persx-"))
        bench_decisions_speed(var_dir)


if __name__ == "__main__":
    main()
