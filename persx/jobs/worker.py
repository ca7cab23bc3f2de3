"""A django-tasks database worker that keeps a heartbeat (``manage.py persx_worker``).

The loop that claims and runs tasks is django-tasks' own (``db_worker``'s ``Worker``);
this adds what lets a crashed worker's task be run again: a heartbeat row for the worker
(refreshed every :data:`~persx.jobs.recovery.HEARTBEAT_EVERY` by a thread) and a
recovery sweep (:func:`~persx.jobs.recovery.requeue_abandoned`) when the worker starts
and on every heartbeat.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.backends.database.management.commands.db_worker import Worker

from persx.jobs.enqueue import JOBS_BACKEND
from persx.jobs.models import WorkerHeartbeat
from persx.jobs.recovery import HEARTBEAT_EVERY, requeue_abandoned, this_host

logger = logging.getLogger("persx.jobs")


def new_worker_id() -> str:
    """Host, process and a random part: unique across the pool, at most 64 characters."""
    return f"{this_host()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]


def _beat(worker_id: str, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now())
            requeue_abandoned()
        except Exception:  # a missed beat is retried on the next one
            logger.exception("worker %s: heartbeat failed", worker_id)
            close_old_connections()
    connection.close()


@contextmanager
def heartbeat(worker_id: str, beat_every: float | None = None) -> Iterator[None]:
    """The worker's heartbeat row for as long as the block runs (a thread refreshes it
    unless ``beat_every`` is 0), and the tasks of gone workers back on the queue."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": this_host(), "pid": os.getpid(), "started_at": now, "seen_at": now},
    )
    requeue_abandoned()
    every = HEARTBEAT_EVERY.total_seconds() if beat_every is None else beat_every
    stop = threading.Event()
    thread = None
    if every > 0:
        thread = threading.Thread(
            target=_beat, args=(worker_id, stop, every), name="persx-worker-heartbeat", daemon=True
        )
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def run_worker(
    *,
    queue_names: list[str],
    batch: bool = False,
    interval: float = 1.0,
    max_tasks: int | None = None,
    worker_id: str | None = None,
    handle_signals: bool = True,
    beat_every: float | None = None,
) -> None:
    """Run django-tasks' worker on the jobs (database) backend with a heartbeat."""
    worker_id = worker_id or new_worker_id()
    worker = Worker(
        queue_names=queue_names,
        interval=interval,
        batch=batch,
        backend_name=JOBS_BACKEND,
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
    )
    if handle_signals:
        worker.configure_signals()
    with heartbeat(worker_id, beat_every):
        worker.run()
