"""Speed of a personalized page against stock Wagtail, and HTTP throughput, on the
production setup (bench/production_site.py: PersX on ``persx.settings.production`` with
PostgreSQL + Redis; a stock Wagtail project with the same content on its own PostgreSQL
database + Redis, no PersX code).

1. Per request, in-process: the demo's home and contact pages for a profiled visitor
   (industry:healthcare: every block a variant) in a PersX process, and the same paths in
   a stock Wagtail process (the same text as stock pages). Each process runs Django's test
   client through its full middleware stack and measures the request's thread CPU time;
   the two processes take turns (15 rounds of 40 requests each), so load on the machine
   hits both alike. SQL queries per page are counted on each side. Goal (ratio): PersX
   personalized / stock Wagtail <= 1.3.
2. HTTP throughput, 2 gunicorn workers each (gthread x 4): PersX with personalization on,
   PersX with the master switch off (PERSX_BENCH_PERSONALIZATION=off) and stock Wagtail,
   all three up at once, closed-loop keep-alive clients taking turns between them, the
   contact page for the same profiled visitor. Goal (ratio): on / off >= 90%. PersX on /
   stock Wagtail is printed beside it.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.goals import goals  # noqa: E402
from bench.production_site import Project  # noqa: E402
from harness.site_process import free_port, running  # noqa: E402

PAGES = (("home", "/"), ("contact", "/contact/"))
ROUNDS, PER_ROUND = 15, 40
GOAL_PAGE_RATIO = 1.3
GOAL_ON_OFF = 0.9


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min, 2 cores)"


def timing_server() -> None:
    """(In a PersX or stock process) answer timing requests read as JSON lines on stdin.

    {"cookie": "healthcare"} -> the profile cookie ("" in stock Wagtail);
    {"path": "/", "cookie": "...", "n": 40} -> thread CPU ms of each of n requests and the
    SQL queries of one more request.
    """
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    persx = os.environ["DJANGO_SETTINGS_MODULE"].startswith("bench.production_settings")
    clients: dict[str, Client] = {}
    for line in sys.stdin:
        ask = json.loads(line)
        if "path" not in ask:
            print(json.dumps(_cookie(ask["cookie"]) if persx else {"cookie": ""}), flush=True)
            continue
        client = clients.setdefault(ask["cookie"], Client(HTTP_HOST="127.0.0.1"))
        if persx:
            from persx.config import config

            client.cookies[config().profile_cookie_name] = ask["cookie"]
        ms = []
        for _ in range(ask["n"]):
            started = time.thread_time()
            response = client.get(ask["path"])
            ms.append((time.thread_time() - started) * 1000)
            assert response.status_code == 200, (ask["path"], response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(ask["path"])
        print(json.dumps({"ms": ms, "queries": len(queries.captured_queries)}), flush=True)


def _cookie(industry: str) -> dict[str, str]:
    from persx.config import config
    from tests.web.conftest import profile_cookie

    return {"cookie": profile_cookie(industry), "name": config().profile_cookie_name}


class TimingProcess:
    """A timing server in its own process (the project's settings, database and cache)."""

    def __init__(self, project: Project, log: Path) -> None:
        with log.open("a") as errors:  # its logging (a line per personalized page) and errors
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.page_speed", "timing-server"],
                cwd=ROOT,
                env=project.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        self.log = log

    def ask(self, **question: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(question) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError(
                f"the timing server stopped (exit {self.proc.wait()}); see {self.log}"
            )
        result: dict[str, Any] = json.loads(answer)
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def profile_cookie_header(folder: Path, persx: Project) -> str:
    """The ``Cookie`` header of a visitor stated as industry:healthcare, signed by PersX."""
    timing = TimingProcess(persx, folder / "timing-persx.log")
    try:
        answer = timing.ask(cookie="healthcare")
    finally:
        timing.close()
    return f"{answer['name']}={answer['cookie']}"


def bench_personalized_vs_stock(folder: Path, persx: Project, stock: Project) -> None:
    ours = TimingProcess(persx, folder / "timing-persx.log")
    theirs = TimingProcess(stock, folder / "timing-stock.log")
    try:
        cookie = ours.ask(cookie="healthcare")["cookie"]
        print("\n== A personalized page vs a stock Wagtail page of the same content ==")
        print("   (production settings, PostgreSQL + Redis on both sides; each in its own")
        print("    process, full middleware, thread CPU time; 15 rounds taking turns)")
        print(f"   {load_average()}")
        for name, path in PAGES:
            for side in (ours, theirs):  # warm: caches, connections, templates
                side.ask(path=path, cookie=cookie, n=5)
            on_ms: list[float] = []
            off_ms: list[float] = []
            for _ in range(ROUNDS):
                got_on = ours.ask(path=path, cookie=cookie, n=PER_ROUND)
                got_off = theirs.ask(path=path, cookie="", n=PER_ROUND)
                on_ms += got_on["ms"]
                off_ms += got_off["ms"]
            med_on, med_off = statistics.median(on_ms), statistics.median(off_ms)
            print(f"  {name}: PersX personalized {path:<11} {med_on:7.3f} ms  ", end="")
            print(f"{got_on['queries']} SQL")
            print(f"  {name}: stock Wagtail      {path:<11} {med_off:7.3f} ms  ", end="")
            print(f"{got_off['queries']} SQL")
            ratio = med_on / med_off
            print(f"  {name}: ratio PersX / stock         {ratio:7.3f}   (goal <= 1.3)")
            goals.record(
                f"{name} page CPU, PersX personalized / stock Wagtail",
                ratio,
                GOAL_PAGE_RATIO,
                "<=",
                "ratio",
            )
    finally:
        ours.close()
        theirs.close()


def server_cpu_seconds(master: int) -> float:
    """User + system CPU of the gunicorn master's worker processes so far (/proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def _gunicorn(project: Project, log: Path, **env: str) -> Iterator[tuple[int, int]]:
    port = free_port()
    argv = [*project.argv[:-1], "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    argv += ["--threads", "4", project.argv[-1]]
    ready = f"http://127.0.0.1:{port}/"
    with running(argv, project.env | env, log, ready) as proc:
        yield port, proc.pid


def closed_loop(
    port: int, path: str, cookie: str, seconds: float, clients: int, expect: bytes
) -> tuple[float, int]:
    """Requests per second of ``clients`` keep-alive connections for ``seconds``; errors."""
    done = [0] * clients
    errors = [0] * clients
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or expect not in body:
                    errors[index] += 1
                done[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def bench_http_throughput(folder: Path, persx: Project, stock: Project) -> None:
    cookie = profile_cookie_header(folder, persx)
    seconds = float(os.environ.get("PERSX_BENCH_HTTP_SECONDS", "6"))
    rounds, clients = 5, 8
    print("\n== HTTP throughput, 2 gunicorn workers each (gthread x4), /contact/ ==")
    print("   production settings, PostgreSQL + Redis; a visitor stated as industry:healthcare")
    print(
        f"   {clients} keep-alive clients, {rounds} rounds of {seconds:.0f} s per server, in turn"
    )
    print(f"   before: {load_average()}")
    sides = ("on", "off", "stock")
    rates: dict[str, list[float]] = {side: [] for side in sides}
    cpu_ms: dict[str, list[float]] = {side: [] for side in sides}
    errors = dict.fromkeys(sides, 0)
    expect = {
        "on": b'data-variant="industry:healthcare"',
        "off": b'data-variant="generic"',
        "stock": b"<html",
    }
    with ExitStack() as stack:
        servers = {
            "on": stack.enter_context(_gunicorn(persx, folder / "gunicorn-on.log")),
            "off": stack.enter_context(
                _gunicorn(persx, folder / "gunicorn-off.log", PERSX_BENCH_PERSONALIZATION="off")
            ),
            "stock": stack.enter_context(_gunicorn(stock, folder / "gunicorn-stock.log")),
        }
        for side in sides:  # warm (fragment and route caches, connections)
            closed_loop(servers[side][0], "/contact/", cookie, 2, clients, expect[side])
        for _ in range(rounds):
            for side in sides:
                port, master = servers[side]
                cpu_before = server_cpu_seconds(master)
                rate, failed = closed_loop(
                    port, "/contact/", cookie, seconds, clients, expect[side]
                )
                served = rate * seconds
                cpu = server_cpu_seconds(master) - cpu_before
                rates[side].append(rate)
                cpu_ms[side].append(cpu * 1000 / served if served else float("nan"))
                errors[side] += failed
    on, off, theirs = (statistics.median(rates[side]) for side in sides)
    print(f"  PersX, personalization on : {on:8.1f} requests/s  (rounds {_fmt(rates['on'])})")
    print(f"  PersX, switched off       : {off:8.1f} requests/s  (rounds {_fmt(rates['off'])})")
    print(f"  stock Wagtail             : {theirs:8.1f} requests/s  ", end="")
    print(f"(rounds {_fmt(rates['stock'])})")
    print(f"  on / off                  : {on / off:8.1%}   (goal >= 90%)")
    print(f"  PersX on / stock Wagtail  : {on / theirs:8.2f}x")
    medians = {side: statistics.median(cpu_ms[side]) for side in sides}
    print(
        "  server CPU / request      : "
        + ", ".join(f"{side} {medians[side]:.2f} ms" for side in sides)
        + " (workers, /proc)"
    )
    print(f"  wrong or failed responses : {errors}")
    print(f"   after: {load_average()}")
    goals.record("HTTP throughput, personalization on / off", on / off, GOAL_ON_OFF, ">=", "ratio")
    if any(errors.values()):
        goals.record("HTTP wrong or failed responses", sum(errors.values()), 0, "<=", "ratio")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":
    if sys.argv[1:] == ["timing-server"]:
        timing_server()
    else:
        sys.exit("usage: python -m bench.page_speed timing-server (make bench runs the rest)")
