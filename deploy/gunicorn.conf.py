"""gunicorn settings for PersX (`make serve`; `gunicorn -c deploy/gunicorn.conf.py persx.wsgi`).

Sizing: one worker process per core and a few threads each (gthread). A page spends most
of its time in Python (CPU), so more processes than cores only adds contention; threads
cover the short waits on PostgreSQL and Redis. Override with PERSX_WORKERS /
PERSX_THREADS / PERSX_BIND.

Shutdown: on SIGTERM a worker stops accepting, finishes its requests (up to
``graceful_timeout``) and then, in ``worker_exit``, writes the exposures still queued in
memory, so a deploy loses none. On SIGKILL the queue is lost: at most what arrived in the
last flush interval (0.5 s) or 500 events, whichever is smaller (docs/operations.md).

Prometheus metrics from several workers: set ``PROMETHEUS_MULTIPROC_DIR`` to a directory
the workers may write; it is emptied at start (``on_starting``), ``GET /metrics`` sums the
workers' files, and a dead worker's live gauges are dropped (``child_exit``;
docs/monitoring.md).

Loaded before fork (``preload_app``): the master imports Django, Wagtail and PersX once and
the workers are forked from it, so the pages of that code are shared between workers
(copy-on-write) instead of loaded by each, and a new worker (at start, after
``max_requests`` or after a crash) is ready in milliseconds. What a process must not share
is opened per process: the master closes its database connections before each fork
(``pre_fork``); the Redis client's connection pool notices the new pid and reconnects; the
exposure writer empties its inherited queue after fork and starts its thread in the worker
at the first page (``persx/events/exposure_writer.py``); the Prometheus values reopen their
files under the worker's pid. A new release of the code needs a new master (restart the
service, or ``USR2`` then ``TERM`` the old master): ``HUP`` only re-forks workers from the
already-loaded code. ``PERSX_PRELOAD_APP=0`` loads the application in each worker instead.

Control socket (gunicorn's ``gunicornc``): each server has its own, in the var directory
(``PERSX_VAR_DIR``, default ``var/``), named after its bind address, e.g.
``var/gunicorn-127.0.0.1_8000.ctl``; gunicorn's default (``~/.gunicorn/gunicorn.ctl``) is one
path for every server of the user, and stopping one server deleted another's socket.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

VAR_DIR = Path(os.environ.get("PERSX_VAR_DIR", Path(__file__).resolve().parents[1] / "var"))
# A Unix socket's path holds at most 107 bytes on Linux (108 with the terminating zero).
_SOCKET_PATH_MAX = 100


def control_socket_path(binds: Iterable[str], var_dir: Path = VAR_DIR) -> str:
    """This server's control socket: ``<var>/gunicorn-<bind>.ctl`` (one per server).

    When that path is too long for a Unix socket (a deep var directory), a short path in the
    temporary directory named by a hash of it, still one per (var directory, bind).
    """
    name = "+".join(re.sub(r"[^A-Za-z0-9.-]+", "_", b) for b in binds) or "default"
    path = str(Path(var_dir).resolve() / f"gunicorn-{name}.ctl")
    if len(path.encode()) <= _SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(path.encode()).hexdigest()[:20]
    return str(Path(tempfile.gettempdir()) / f"persx-gunicorn-{digest}.ctl")


bind = os.environ.get("PERSX_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PERSX_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("PERSX_THREADS", "4"))
worker_class = "gthread"
timeout = 30
preload_app = os.environ.get("PERSX_PRELOAD_APP", "1") != "0"
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jittered so they do not all restart together): bounds the
# growth of per-process caches and any leak.
max_requests = int(os.environ.get("PERSX_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Request line and header limits (docs/operations.md, "Request size limits"). The request
# line: 8190 bytes, gunicorn's maximum (a request with thousands of query parameters is
# refused with 414 before Django parses it). Headers: at most 100, each at most 48 KiB. A
# browser sends all its cookies for the site's domain in one Cookie header, and a
# marketing domain's analytics and CRM tags set up to ~32 KB of them; gunicorn's default
# (8190 bytes) answered such a browser 431 on every page. A larger header is refused with
# 431 before Django sees it; what one request's headers may hold is bounded by
# 100 x 48 KiB (about 4.8 MiB).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 48 * 1024
accesslog = "-" if os.environ.get("PERSX_ACCESS_LOG") else None
errorlog = "-"
loglevel = os.environ.get("PERSX_LOG_LEVEL", "info")
proc_name = "persx"
# Named after PERSX_BIND here; ``on_starting`` renames it after the final bind when
# ``--bind`` on the command line overrides PERSX_BIND (as the test harness does).
control_socket = control_socket_path([bind])
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # The application is loaded (and its metrics' files opened) before ``on_starting``
    # runs, so the directory must exist already; ``on_starting`` then empties it.
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)


def worker_exit(server: Any, worker: Any) -> None:
    """Write the exposures this worker still holds in memory before it goes."""
    try:
        from persx.events.exposure_writer import flush

        written = flush()
        server.log.info("worker %s wrote %s queued exposures on exit", worker.pid, written)
    except Exception:  # never block a shutdown
        server.log.exception("worker %s could not write its queued exposures", worker.pid)


def when_ready(server: Any) -> None:
    """With the application preloaded, finish loading it in the master: the URL
    configuration (Django imports it at the first request, and with it the Wagtail admin's
    hooks and every view module) is imported here once, so the workers share it instead of
    each importing it after fork. Then the loaded objects are moved out of the garbage
    collector's sight (``gc.freeze``): a collection in a worker would otherwise write to
    every object's header and so copy the shared pages it only reads."""
    if not server.cfg.preload_app:
        return
    started = time.perf_counter()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URL configuration
    gc.collect()
    gc.freeze()
    server.log.info("application loaded for the workers in %.2f s", time.perf_counter() - started)


def pre_fork(server: Any, worker: Any) -> None:
    """The master's database connections (if loading the application opened any) are not
    inherited: two processes on one connection corrupt its protocol stream."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def post_fork(server: Any, worker: Any) -> None:
    worker.persx_forked_at = time.perf_counter()


def post_worker_init(worker: Any) -> None:
    """Log how long this worker took from its fork until it accepts requests (with
    ``preload_app`` off that includes loading the application)."""
    ready_s = time.perf_counter() - getattr(worker, "persx_forked_at", time.perf_counter())
    worker.log.info("worker %s ready %.3f s after fork", worker.pid, ready_s)


def on_starting(server: Any) -> None:
    """Name the control socket after the bind in force; start with an empty metrics
    directory (old workers' counts must not be summed; the master's files, opened while
    it loaded the application, go too: a forked worker writes its own, named by its pid)."""
    if server.cfg.control_socket == control_socket:  # not set on the command line
        server.cfg.set("control_socket", control_socket_path(server.cfg.bind))
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
