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
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

bind = os.environ.get("PERSX_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PERSX_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("PERSX_THREADS", "4"))
worker_class = "gthread"
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (jittered so they do not all restart together): bounds the
# growth of per-process caches and any leak.
max_requests = int(os.environ.get("PERSX_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Request line and header limits (a request with thousands of query parameters is refused
# before Django parses it).
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-" if os.environ.get("PERSX_ACCESS_LOG") else None
errorlog = "-"
loglevel = os.environ.get("PERSX_LOG_LEVEL", "info")
proc_name = "persx"


def worker_exit(server: Any, worker: Any) -> None:
    """Write the exposures this worker still holds in memory before it goes."""
    try:
        from persx.events.exposure_writer import flush

        written = flush()
        server.log.info("worker %s wrote %s queued exposures on exit", worker.pid, written)
    except Exception:  # never block a shutdown
        server.log.exception("worker %s could not write its queued exposures", worker.pid)


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory: old workers' counts must not be summed."""
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
