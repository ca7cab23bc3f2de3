"""Start a PersX server process, wait until it answers, stop it gracefully.

The tests (``tests/web/live_site.py``), the benchmarks (``bench/``) and the load test
(``loadtest/``) all run the real server this way: gunicorn with the shipped
``deploy/gunicorn.conf.py`` (``gunicorn_argv``) or ``manage.py runserver``
(``runserver_argv``), its output in a log file that a failure quotes.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# Generous bounds, not expectations: a loaded 2-core machine may take minutes to start.
START_TIMEOUT_S = 300.0
PROBE_TIMEOUT_S = 15.0
STOP_GRACE_S = 30.0


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer its readiness URL in time (message: its log)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gunicorn_argv(
    port: int | None = None, workers: int | None = None, app: str = "persx.wsgi"
) -> list[str]:
    """gunicorn with the shipped config; ``port``/``workers`` override its environment."""
    argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]
    if port is not None:
        argv += ["--bind", f"127.0.0.1:{port}"]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return [*argv, app]


def runserver_argv(port: int) -> list[str]:
    """The ``make run`` server, without the reloader."""
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


def worker_argv(queues: str = "default,drafts") -> list[str]:
    """The job queue's worker that ``make run`` starts beside the server."""
    return [sys.executable, "manage.py", "persx_worker", "--queue-name", queues]


WORKER_READY = b"Worker running queues"


def answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> int | None:
    """The status ``url`` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_until_answers(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT_S
) -> None:
    """Wait until ``url`` answers 200; raise ``ServerDidNotStart`` with the log's tail if
    the process exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(f"the server exited with {proc.returncode}:\n{_tail(log)}")
        if answers(url) == 200:
            return
        time.sleep(0.2)
    raise ServerDidNotStart(
        f"the server did not answer {url} within {timeout:.0f} s:\n{_tail(log)}"
    )


def stop(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE_S) -> None:
    """SIGTERM (gunicorn finishes its requests and flushes), then SIGKILL after ``grace``."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    ready_url: str,
    *,
    timeout: float = START_TIMEOUT_S,
    grace: float = STOP_GRACE_S,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` from the repository root with its output appended to ``log``; yield the
    process once ``ready_url`` answers 200, and stop it on the way out."""
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_answers(ready_url, proc, log, timeout)
        yield proc
    finally:
        stop(proc, grace)


@contextmanager
def working(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    *,
    timeout: float = START_TIMEOUT_S,
    grace: float = STOP_GRACE_S,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a job-queue worker (``worker_argv``) like ``running``; ready once its log says it
    is taking jobs."""
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while WORKER_READY not in log.read_bytes()[offset:]:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServerDidNotStart(f"the worker did not start:\n{_tail(log)}")
            time.sleep(0.1)
        yield proc
    finally:
        stop(proc, grace)


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
