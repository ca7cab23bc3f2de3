"""A real PersX server for tests: gunicorn (2 workers by default) on a throwaway SQLite
database, migrated and seeded, on a free local port. Tests talk to it over HTTP only.

Migrating and seeding costs half a minute of CPU, so it is done once per test session into
a template directory, and each server starts from a copy of that database
(``prepare_site_database``); the browser suite's server uses the same copy.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Generous bounds, not expectations: a loaded 2-core machine may take minutes to start.
START_TIMEOUT_S = 300
PROBE_TIMEOUT_S = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "PERSX_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "persx.settings.test",
        "PYTHONUNBUFFERED": "1",
        # A real server writes its exposures in the background, as in production (the
        # test settings switch the thread off for in-process tests).
        "PERSX_EVENTS_WRITER_THREAD": "on",
        **extra,
    }
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Run ``manage.py`` in the site's environment; a failure fails the test with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}",
            pytrace=False,
        )
    return result.stdout


_template_dir: Path | None = None
DATABASE_FILES = ("persx.sqlite3", "persx.sqlite3-wal", "persx.sqlite3-shm")


def prepare_site_database(var_dir: Path) -> None:
    """Put a migrated database with the demo content into ``var_dir``.

    The first call of the session migrates and seeds a template (in plain single-process
    mode, like every command); later calls copy its database file.
    """
    global _template_dir
    if _template_dir is None:
        template = Path(tempfile.mkdtemp(prefix="persx-seeded-"))
        atexit.register(shutil.rmtree, template, ignore_errors=True)
        env = site_env(template)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo")
        _template_dir = template
    var_dir.mkdir(parents=True, exist_ok=True)
    for name in DATABASE_FILES:
        if (_template_dir / name).exists():
            shutil.copyfile(_template_dir / name, var_dir / name)


@dataclass(frozen=True, slots=True)
class LiveSite:
    url: str
    env: dict[str, str]
    log: Path
    pid: int


@contextmanager
def gunicorn_site(
    var_dir: Path, workers: int = 2, app: str = "persx.wsgi", **extra_env: str
) -> Iterator[LiveSite]:
    env = site_env(var_dir, **extra_env)
    prepare_site_database(var_dir)
    port = free_port()
    log = var_dir / "gunicorn.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # Not a site page: the readiness check must not count as a page view.
        wait_until_up(url + "/api/catalog", proc, log)
        yield LiveSite(url, env, log, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def runserver_site(var_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """``manage.py runserver`` (the ``make run`` server) on the database in ``var_dir``
    (``prepare_site_database``), in the environment ``env``; yields its base URL and stops
    it afterwards."""
    port = free_port()
    log = var_dir / "runserver.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/", proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT_S
) -> None:
    """Wait until the server answers ``url`` with 200; fail with its log if it exits or
    does not answer within ``timeout`` (a generous bound for a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the server did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}",
        pytrace=False,
    )
