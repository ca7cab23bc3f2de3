"""Make sure what the tests need is there: Debian's Chromium, PostgreSQL and Redis.

    python scripts/test_services.py chromium   # browser tests
    python scripts/test_services.py promtool   # the Prometheus rules tests
    python scripts/test_services.py services   # the PostgreSQL + Redis pass of `make test`

On a developer's machine a missing piece is reported loudly and its tests are skipped
(exit 1 from ``services``: `make test` then prints SKIPPED and goes on; ``chromium``
exits 0 and the browser tests skip themselves with a message). Under ``CI=true`` nothing may
be skipped: the script first starts what is missing the documented way (apt-get for
Chromium, ``pg_ctlcluster`` and ``redis-server`` for the services, on this machine only),
waits for it, and exits 2 if it is still not there, which fails the run.

URLs come from PERSX_TEST_DATABASE_URL / PERSX_TEST_REDIS_URL (defaults: 127.0.0.1). Only
the server is checked (PostgreSQL's ``postgres`` database): pytest-django creates its own
test database.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/persx"
DEFAULT_REDIS = "redis://127.0.0.1:6379/1"
CHROMIUM = Path("/usr/bin/chromium")
PROMTOOL = Path("/usr/bin/promtool")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
START_TIMEOUT_S = 60

READY, SKIP, FAIL = 0, 1, 2

# The documented way to start each service on this kind of machine.
REDIS_START = [
    "redis-server",
    "--daemonize", "yes",
    "--bind", "127.0.0.1", "-::1",
    "--port", "6379",
    "--save", "",
    "--appendonly", "no",
    "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def in_ci() -> bool:
    """CI=true (or 1/yes) means: no skipping. Same rule as tests/ci.py."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def say(message: str) -> None:
    print(f"!!! {message}", file=sys.stderr, flush=True)


# --- Debian tools: Chromium, promtool ----------------------------------------------------


def ensure_debian_tool(binary: Path, package: str, tests: str) -> int:
    """Install ``package`` with apt when ``binary`` is missing and we are root."""
    if binary.exists():
        return READY
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing Debian's {package} for the {tests}...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        for cmd in (["apt-get", "update", "-qq"], install):
            if _run(cmd, env=env) != 0:
                break
        if binary.exists():
            return READY
        problem = f"could not install {package} with apt-get"
    else:
        problem = f"{binary} is missing and we are not root (apt-get install {package})"
    if in_ci():
        say(f"FAILED: {problem}; CI=true runs every one of the {tests}")
        return FAIL
    say(f"{problem}: the {tests} will SKIP")
    return READY


def ensure_chromium() -> int:
    return ensure_debian_tool(CHROMIUM, "chromium", "browser tests")


def ensure_promtool() -> int:
    return ensure_debian_tool(PROMTOOL, "prometheus", "Prometheus rules tests")


# --- PostgreSQL and Redis ------------------------------------------------------------------


def _server_url(db_url: str) -> str:
    """The same server, its ``postgres`` maintenance database."""
    parts = urlsplit(db_url)
    return urlunsplit(parts._replace(path="/postgres"))


def _postgres_problem(db_url: str) -> str | None:
    try:
        import psycopg

        with psycopg.connect(_server_url(db_url), connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:
        return f"PostgreSQL at {db_url} is not reachable ({type(exc).__name__}: {exc})"
    return None


def _redis_problem(redis_url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at {redis_url} is not reachable ({type(exc).__name__}: {exc})"
    return None


def _is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "127.0.0.1") in LOCAL_HOSTS


def _run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print(f"$ {' '.join(cmd)}", flush=True)
    try:
        return subprocess.run(cmd, check=False, timeout=600, env=env).returncode
    except (OSError, subprocess.TimeoutExpired) as exc:
        say(f"{cmd[0]}: {exc}")
        return 1


def _start_postgres() -> None:
    config_dir = Path("/etc/postgresql")
    if not shutil.which("pg_ctlcluster") or not config_dir.is_dir():
        say("cannot start PostgreSQL: pg_ctlcluster or /etc/postgresql is missing")
        return
    for version in sorted(p.name for p in config_dir.iterdir()):
        _run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])


def _start_redis() -> None:
    if not shutil.which("redis-server"):
        say("cannot start Redis: redis-server is missing")
        return
    _run(REDIS_START)


def _problems(db_url: str, redis_url: str) -> dict[str, str]:
    found = {"postgres": _postgres_problem(db_url), "redis": _redis_problem(redis_url)}
    return {name: problem for name, problem in found.items() if problem}


def ensure_services() -> int:
    db_url = os.environ.get("PERSX_TEST_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("PERSX_TEST_REDIS_URL", DEFAULT_REDIS)
    problems = _problems(db_url, redis_url)
    if problems and in_ci():
        for problem in problems.values():
            say(f"{problem}; CI=true: starting it")
        if "postgres" in problems and _is_local(db_url):
            _start_postgres()
        if "redis" in problems and _is_local(redis_url):
            _start_redis()
        deadline = time.monotonic() + START_TIMEOUT_S
        while (problems := _problems(db_url, redis_url)) and time.monotonic() < deadline:
            time.sleep(1)
    if not problems:
        return READY
    for problem in problems.values():
        say(problem)
    if in_ci():
        say("FAILED: CI=true runs the PostgreSQL + Redis suite; the services did not come up")
        return FAIL
    return SKIP


def main(argv: list[str]) -> int:
    if argv == ["chromium"]:
        return ensure_chromium()
    if argv == ["promtool"]:
        return ensure_promtool()
    if argv == ["services"]:
        return ensure_services()
    print(__doc__, file=sys.stderr)
    return FAIL


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
