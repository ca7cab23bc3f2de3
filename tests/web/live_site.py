"""A real PersX server for tests: gunicorn (2 workers by default) on a throwaway SQLite
database, migrated and seeded, on a free local port. Tests talk to it over HTTP only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90


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
    # Only the server writes metrics files; commands run in plain single-process mode.
    plain = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    manage(plain, "migrate", "--noinput", "-v", "0")
    manage(plain, "seed_demo")
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
        _wait_until_up(url + "/api/catalog", proc, log)
        yield LiveSite(url, env, log, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer {url}:\n{log.read_text()[-3000:]}", pytrace=False)
