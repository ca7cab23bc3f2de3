"""`make loadtest`: the production setup under load and faults, measured with locust.

    python -m loadtest.run all          # calibrate, 2x overload, faults, soak
    python -m loadtest.run calibrate    # only find the sustainable rate
    python -m loadtest.run overload --users 40     (2x of a known sustainable user count)
    python -m loadtest.run faults --users 20
    python -m loadtest.run soak --users 20 --soak-minutes 30

What it starts (127.0.0.1 only, everything bounded in time and requests):

- gunicorn as ``make serve`` does (deploy/gunicorn.conf.py, 2 workers, production
  settings, its own database ``--database`` on the local PostgreSQL and Redis db
  ``--redis-db``), reaching PostgreSQL and Redis through TCP proxies this script controls
  (loadtest/proxy.py), so "database unreachable" is a cut proxy, never a stopped service
  (the machine's PostgreSQL and Redis are shared);
- locust, headless (loadtest/locustfile.py): mixed traffic, every page checked for
  cross-talk, every acknowledged event id written out and looked up in the database after
  the run (loadtest/stored_events.py).

Steps: **calibrate** raises the number of users (each 1 request/s) in 30 s steps until p99
reaches 200 ms or errors reach 0.1%: the sustainable rate is the throughput of the last
step under both. **overload** offers twice that (twice the users at the same pace) for 5
minutes: errors < 0.1%, no cross-talk, no acknowledged event lost (latency is reported; at
twice the sustainable rate it is expected to exceed 200 ms). **faults** runs the
sustainable load while cutting the database proxy for 30 s, then the Redis proxy for 30 s,
then SIGKILLing one worker, each in its own run, with a probe that says what a visitor
and the event API got during the fault. **soak** runs the sustainable load and samples the
workers' RSS from /proc (worker recycling switched off, so growth is not hidden).
"""

from __future__ import annotations

import argparse
import csv
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.site_process import gunicorn_argv, running
from loadtest.checks import RunTally, missing_events
from loadtest.proxy import CuttableProxy

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
P99_GOAL_MS = 200.0
ERROR_GOAL = 0.001


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


@dataclass
class Settings:
    port: int
    db_proxy_port: int
    redis_proxy_port: int
    database: str
    redis_db: int
    out: Path

    def env(self, through_proxies: bool) -> dict[str, str]:
        db_port = self.db_proxy_port if through_proxies else 5432
        redis_port = self.redis_proxy_port if through_proxies else 6379
        env = dict(os.environ)
        env |= {
            "DJANGO_SETTINGS_MODULE": "persx.settings.production",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{db_port}/{self.database}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/{self.redis_db}",
            "PERSX_TLS": "0",
            "PERSX_BIND": f"127.0.0.1:{self.port}",
            "PERSX_WORKERS": "2",
            "PYTHONPATH": str(ROOT),
        }
        if "DJANGO_SECRET_KEY" not in env:
            env["DJANGO_SECRET_KEY"] = subprocess.run(
                [PY, "scripts/install_secret_key.py"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        return env


def prepare(settings: Settings) -> None:
    """What `make serve` does before it starts gunicorn."""
    env = settings.env(through_proxies=False)
    commands = [
        [PY, "scripts/ensure_database.py"],
        [PY, "manage.py", "migrate", "--noinput", "-v", "0"],
        [PY, "manage.py", "persx_database_roles"],
        [PY, "manage.py", "persx_events_partitions", "--ahead", "3"],
        [PY, "manage.py", "seed_demo"],
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"],
    ]
    for command in commands:
        subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=900)


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    db: CuttableProxy
    redis: CuttableProxy
    url: str

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@contextmanager
def server(settings: Settings, recycle: bool = True) -> Iterator[Server]:
    db = CuttableProxy(settings.db_proxy_port, "127.0.0.1", 5432).start()
    redis = CuttableProxy(settings.redis_proxy_port, "127.0.0.1", 6379).start()
    env = settings.env(through_proxies=True)
    if not recycle:
        env["PERSX_MAX_REQUESTS"] = "100000000"
    url = f"http://127.0.0.1:{settings.port}"
    log = settings.out / "gunicorn.log"
    try:
        with running(
            gunicorn_argv(), env, log, url + "/health/ready", timeout=120, grace=40
        ) as proc:
            yield Server(proc, db, redis, url)
    finally:
        db.stop()
        redis.stop()


@dataclass
class LocustResult:
    users: int
    seconds: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p99_ms: float
    tally: RunTally
    missing_events: list[str] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 1.0

    def line(self) -> str:
        return (
            f"{self.users} users {self.seconds:.0f} s: {self.requests} requests, "
            f"{self.rps:.1f}/s, p50 {self.p50_ms:.0f} ms, p99 {self.p99_ms:.0f} ms, "
            f"errors {self.failures} ({self.error_rate:.3%}), pages checked "
            f"{self.tally.pages_checked}, cross-talk {self.tally.cross_talk}, batches acked "
            f"{self.tally.batches_acknowledged} / refused {self.tally.batches_refused}, "
            f"acked events missing {len(self.missing_events)}; load {self.load_before} -> "
            f"{self.load_after}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "seconds": self.seconds,
            "requests": self.requests,
            "failures": self.failures,
            "error_rate": self.error_rate,
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "pages_checked": self.tally.pages_checked,
            "cross_talk": self.tally.cross_talk,
            "cross_talk_examples": self.tally.cross_talk_examples[:5],
            "batches_acknowledged": self.tally.batches_acknowledged,
            "batches_refused": self.tally.batches_refused,
            "events_acknowledged": len(self.tally.acknowledged_ids),
            "acknowledged_events_missing": len(self.missing_events),
            "load_before": self.load_before,
            "load_after": self.load_after,
        }


def run_locust(
    settings: Settings, srv: Server, name: str, users: int, seconds: int, max_requests: int
) -> LocustResult:
    out = settings.out / name
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env |= {
        "LOADTEST_OUT": str(out),
        "LOADTEST_MAX_REQUESTS": str(max_requests),
        "LOADTEST_USER_RATE": "1",
        "PYTHONPATH": str(ROOT),
    }
    before = load_average()
    started = time.monotonic()
    subprocess.run(
        [
            PY,
            "-m",
            "locust",
            "-f",
            "loadtest/locustfile.py",
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--host",
            srv.url,
            "--csv",
            str(out / "locust"),
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        timeout=seconds + 120,
        stdout=(out / "locust.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    elapsed = time.monotonic() - started
    with (out / "locust_stats.csv").open() as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    tally = RunTally.read_all(out.glob("tally-*.json"))
    result = LocustResult(
        users=users,
        seconds=elapsed,
        requests=int(total["Request Count"]),
        failures=int(total["Failure Count"]),
        rps=float(total["Requests/s"]),
        p50_ms=float(total["50%"]),
        p99_ms=float(total["99%"]),
        tally=tally,
        load_before=before,
        load_after=load_average(),
    )
    result.missing_events = check_events(settings, tally.acknowledged_ids, out)
    log(f"{name}: {result.line()}")
    (out / "result.json").write_text(json.dumps(result.as_dict(), indent=2))
    return result


def check_events(settings: Settings, ids: list[str], out: Path) -> list[str]:
    if not ids:
        return []
    ids_file = out / "acknowledged_ids.txt"
    ids_file.write_text("\n".join(ids))
    found = subprocess.run(
        [PY, "-m", "loadtest.stored_events", str(ids_file)],
        cwd=ROOT,
        env=settings.env(through_proxies=False),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return missing_events(ids, found.stdout.split())


STEPS = (2, 4, 6, 10, 15, 20, 30, 45, 60, 90, 120, 160)


def calibrate(settings: Settings, srv: Server) -> tuple[int, LocustResult, bool]:
    """The highest user count (1 request/s each) with p99 < 200 ms and errors < 0.1%.

    Returns (users, that step's result, whether any step met the goal); when none did (a
    machine busy with other work), the lowest step, so the later steps still run."""
    run_locust(settings, srv, "warm-up", 4, 20, 400)  # workers' caches and connections
    good: tuple[int, LocustResult] | None = None
    first: tuple[int, LocustResult] | None = None
    for users in STEPS:
        result = run_locust(settings, srv, f"calibrate-{users}", users, 30, users * 60)
        first = first or (users, result)
        if result.p99_ms >= P99_GOAL_MS or result.error_rate >= ERROR_GOAL:
            break
        good = (users, result)
    if good is None:
        assert first is not None
        log(f"no step met p99 < 200 ms; using the lowest ({first[0]} users) to go on")
        return first[0], first[1], False
    log(f"sustainable: {good[0]} users, {good[1].rps:.1f} requests/s (p99 {good[1].p99_ms:.0f} ms)")
    return good[0], good[1], True


class Probe:
    """Once a second during a fault: a profiled visitor's /contact/ and one event batch."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url = url
        self.cookie = cookie
        self.samples: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            sample: dict[str, Any] = {"t": time.monotonic()}
            request = urllib.request.Request(
                self.url + "/contact/", headers={"Cookie": self.cookie}
            )
            try:
                with urllib.request.urlopen(request, timeout=15) as r:
                    body = r.read().decode()
                    sample["page"] = r.status
                    sample["page_variant"] = (
                        "personalized" if 'data-variant="industry:' in body else "generic"
                    )
                    sample["degraded"] = r.headers.get("X-PersX-Degraded", "")
            except urllib.error.HTTPError as error:
                sample["page"] = error.code
            except OSError as error:
                sample["page"] = f"error {error}"
            batch = json.dumps(
                {
                    "events": [
                        {
                            "event_id": str(uuid.uuid4()),
                            "type": "engagement",
                            "occurred_at": datetime.now(UTC).isoformat(),
                            "page": "/contact/",
                        }
                    ]
                }
            ).encode()
            post = urllib.request.Request(
                self.url + "/api/events",
                data=batch,
                headers={"Cookie": self.cookie, "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(post, timeout=15) as r:
                    sample["events"] = r.status
            except urllib.error.HTTPError as error:
                sample["events"] = error.code
                sample["retry_after"] = error.headers.get("Retry-After")
            except OSError as error:
                sample["events"] = f"error {error}"
            self.samples.append(sample)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> list[dict[str, Any]]:
        self._stop.set()
        self._thread.join(30)
        return self.samples


def visitor_cookie(url: str) -> str:
    """A profiled visitor's cookies (industry:healthcare, analytics accepted), as the site
    sets them; one outside the global holdout (10% see generic content by design), so the
    probe can tell a normal page from a degraded one."""
    for _ in range(50):
        cookie = _new_visitor_cookie(url)
        contact = urllib.request.Request(url + "/contact/", headers={"Cookie": cookie})
        with urllib.request.urlopen(contact, timeout=15) as response:
            if 'data-variant="industry:healthcare"' in response.read().decode():
                return cookie
    raise RuntimeError("50 new visitors in a row were all in the global holdout")


def _new_visitor_cookie(url: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/privacy/", timeout=15).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is not None:
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "choice": "granted", "next": "/"}
        ).encode()
        consent = urllib.request.Request(
            url + "/privacy/consent/", data=form, headers={"Referer": url + "/privacy/"}
        )
        opener.open(consent, timeout=15).read()
    opener.open(url + "/?industry=healthcare", timeout=15).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def summarize(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    during = [s for s in samples if start <= s["t"] <= end]
    counts: dict[str, int] = {}
    for s in during:
        key = f"page {s.get('page')} {s.get('page_variant', '')} | events {s.get('events')}"
        if s.get("retry_after"):
            key += f" Retry-After {s['retry_after']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def fault_run(
    settings: Settings,
    srv: Server,
    name: str,
    users: int,
    fault: Callable[[], None],
    heal: Callable[[], None] | None,
) -> dict[str, Any]:
    """Load for 100 s; the fault at 30 s, healed at 60 s (if it heals)."""
    cookie = visitor_cookie(srv.url)
    probe = Probe(srv.url, cookie).start()
    timeline: dict[str, float] = {}

    def schedule() -> None:
        time.sleep(30)
        timeline["fault"] = time.monotonic()
        log(f"{name}: fault")
        fault()
        time.sleep(30)
        timeline["heal"] = time.monotonic()
        if heal is not None:
            log(f"{name}: healed")
            heal()

    chaos = threading.Thread(target=schedule, daemon=True)
    chaos.start()
    result = run_locust(settings, srv, name, users, 100, users * 200)
    chaos.join()
    samples = probe.stop()
    # Recovery counts from the heal, or from the fault itself when nothing heals it (a
    # killed worker: the others and its replacement must carry on at once).
    recovery_from = timeline["heal"] if heal is not None else timeline["fault"]
    recovered = [
        s["t"] - recovery_from
        for s in samples
        if s["t"] > recovery_from
        and s.get("page") == 200
        and s.get("page_variant") == "personalized"
        and s.get("events") == 200
    ]
    report = {
        "locust": result.as_dict(),
        "during_fault": summarize(samples, timeline["fault"] + 1, timeline["heal"]),
        "after": summarize(samples, timeline["heal"] + 5, float("inf")),
        "recovered_after_s": round(recovered[0], 1) if recovered else None,
        "workers_after": srv.workers(),
    }
    log(
        f"{name}: during {json.dumps(report['during_fault'])}; "
        f"recovered after {report['recovered_after_s']} s"
    )
    return report


def faults(settings: Settings, srv: Server, users: int) -> dict[str, Any]:
    reports = {}
    reports["database_unreachable_30s"] = fault_run(
        settings, srv, "fault-database", users, srv.db.cut, srv.db.restore
    )
    reports["redis_unreachable_30s"] = fault_run(
        settings, srv, "fault-redis", users, srv.redis.cut, srv.redis.restore
    )
    before = srv.workers()

    def kill_one() -> None:
        os.kill(before[0], signal.SIGKILL)

    reports["one_worker_killed"] = fault_run(settings, srv, "fault-worker", users, kill_one, None)
    reports["one_worker_killed"]["workers_before"] = before
    return reports


def soak(settings: Settings, srv: Server, users: int, minutes: float) -> dict[str, Any]:
    samples: list[tuple[float, dict[int, int]]] = []
    stop = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not stop.wait(15):
            samples.append((time.monotonic() - started, {p: rss_kib(p) for p in srv.workers()}))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    seconds = int(minutes * 60)
    result = run_locust(settings, srv, "soak", users, seconds, users * seconds * 2)
    stop.set()
    sampler.join()
    # Baseline after the first minute (imports, caches and connection pools filled).
    baseline = next(s for t, s in samples if t >= 60)
    last = samples[-1][1]
    growth = {
        str(pid): round((last[pid] - baseline[pid]) / baseline[pid], 4)
        for pid in last
        if pid in baseline
    }
    report = {
        "locust": result.as_dict(),
        "rss_kib_at_1_min": baseline,
        "rss_kib_at_end": last,
        "growth": growth,
        "samples": [(round(t), s) for t, s in samples],
    }
    log(f"soak: RSS {baseline} -> {last}, growth {growth}")
    return report


def main() -> None:
    # A TERM (timeout, Ctrl-C from make) still stops gunicorn and the proxies.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["all", "calibrate", "overload", "faults", "soak"])
    parser.add_argument("--users", type=int, help="the sustainable user count (skip calibrate)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOADTEST_PORT", 8760)))
    parser.add_argument("--database", default=os.environ.get("LOADTEST_DATABASE", "persx_loadtest"))
    parser.add_argument("--redis-db", type=int, default=int(os.environ.get("LOADTEST_REDIS_DB", 7)))
    parser.add_argument("--overload-minutes", type=float, default=5)
    parser.add_argument("--soak-minutes", type=float, default=30)
    parser.add_argument(
        "--no-prepare", action="store_true", help="the database is migrated and seeded already"
    )
    args = parser.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    settings = Settings(
        port=args.port,
        db_proxy_port=args.port + 1,
        redis_proxy_port=args.port + 2,
        database=args.database,
        redis_db=args.redis_db,
        out=ROOT / "var" / "loadtest" / stamp,
    )
    settings.out.mkdir(parents=True, exist_ok=True)
    log(f"results in {settings.out}; load average {load_average()} (2 cores)")
    if not args.no_prepare:
        prepare(settings)
    results: dict[str, Any] = {"started": stamp, "mode": args.mode}
    with server(settings, recycle=args.mode != "soak") as srv:
        users = args.users
        if users is None:
            users, found, met = calibrate(settings, srv)
            results["sustainable"] = {"users": users, "goal_met": met, **found.as_dict()}
        if args.mode in ("all", "overload"):
            seconds = int(args.overload_minutes * 60)
            overload = run_locust(
                settings, srv, "overload-2x", 2 * users, seconds, 2 * users * seconds * 2
            )
            results["overload_2x"] = overload.as_dict()
        if args.mode in ("all", "faults"):
            results["faults"] = faults(settings, srv, users)
    if args.mode in ("all", "soak"):
        assert users is not None
        with server(settings, recycle=False) as srv:
            results["soak"] = soak(settings, srv, users, args.soak_minutes)
    (settings.out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    log(f"done: {settings.out / 'results.json'}")


if __name__ == "__main__":
    main()
