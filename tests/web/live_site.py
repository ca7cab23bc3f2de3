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
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.site_process import (
    ROOT,
    ServerDidNotStart,
    free_port,
    gunicorn_argv,
    running,
    runserver_argv,
    worker_argv,
    working,
)


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
    url = f"http://127.0.0.1:{port}"
    log = var_dir / "gunicorn.log"
    # Not a site page: the readiness check must not count as a page view.
    with _started(gunicorn_argv(port, workers, app), env, log, url + "/api/catalog") as proc:
        yield LiveSite(url, env, log, proc.pid)


@contextmanager
def runserver_site(var_dir: Path, env: dict[str, str]) -> Iterator[str]:
    """``manage.py runserver`` (the ``make run`` server) on the database in ``var_dir``
    (``prepare_site_database``), in the environment ``env``, with the job queue's worker
    beside it as ``make run`` has (draft batches, monitor passes); yields its base URL and
    stops both afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    try:
        worker = working(worker_argv(), env, var_dir / "worker.log")
        with worker, _started(runserver_argv(port), env, var_dir / "runserver.log", f"{url}/"):
            yield url
    except ServerDidNotStart as error:
        pytest.fail(str(error), pytrace=False)


@contextmanager
def _started(
    argv: list[str], env: dict[str, str], log: Path, ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``harness.site_process.running``, a start failure failing the test with the log."""
    try:
        with running(argv, env, log, ready_url) as proc:
            yield proc
    except ServerDidNotStart as error:
        pytest.fail(str(error), pytrace=False)
