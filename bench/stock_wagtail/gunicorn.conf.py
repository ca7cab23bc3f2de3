"""gunicorn for the stock Wagtail project: gthread like PersX's, with the same start-time
log line as deploy/gunicorn.conf.py (``worker <pid> ready <s> s after fork``)."""

import time
from typing import Any

worker_class = "gthread"
errorlog = "-"
loglevel = "info"


def post_fork(server: Any, worker: Any) -> None:
    worker.persx_forked_at = time.perf_counter()


def post_worker_init(worker: Any) -> None:
    ready_s = time.perf_counter() - worker.persx_forked_at
    worker.log.info("worker %s ready %.3f s after fork", worker.pid, ready_s)
