"""Tasks whose worker is gone go back on the queue.

django-tasks' database backend claims a task (status RUNNING, the worker's id appended to
``worker_ids``) and only a live worker ever moves it on; a worker killed mid-task leaves
it RUNNING. Here such a task is put back to READY, the same row, so the next free worker
runs it again; every PersX task is written to be run again (the draft batch resumes from
its saved position, rollups fold from their watermark, monitor passes and bandit updates
recompute from the data).

A worker is gone when its heartbeat (:class:`~persx.jobs.models.WorkerHeartbeat`) is
older than :data:`STALE_AFTER`, or at once when it ran on this host and its process has
exited. Tasks claimed by a worker without a heartbeat row (a plain ``db_worker``, or a
persx worker that stopped cleanly) are left alone.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult

from persx.jobs.models import WorkerHeartbeat

logger = logging.getLogger("persx.jobs")

HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(seconds=60)  # six missed heartbeats


def this_host() -> str:
    return socket.gethostname()


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def worker_gone(beat: WorkerHeartbeat, now: datetime) -> bool:
    if beat.seen_at < now - STALE_AFTER:
        return True
    return beat.host == this_host() and not process_running(beat.pid)


def requeue_abandoned(now: datetime | None = None) -> list[str]:
    """Put back on the queue every RUNNING task whose worker is gone; their ids."""
    now = now or timezone.now()
    running = list(DBTaskResult.objects.running().only("id", "worker_ids", "task_path"))
    last_workers = {task.worker_ids[-1] for task in running if task.worker_ids}
    beats = {b.worker_id: b for b in WorkerHeartbeat.objects.filter(worker_id__in=last_workers)}
    gone = {worker for worker, beat in beats.items() if worker_gone(beat, now)}
    requeued = []
    for task in running:
        if task.worker_ids and task.worker_ids[-1] in gone:
            moved = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY
            )
            if moved:
                requeued.append(str(task.pk))
                logger.warning(
                    "task %s (%s) put back on the queue: worker %s is gone",
                    task.pk,
                    task.task_path,
                    task.worker_ids[-1],
                )
    WorkerHeartbeat.objects.filter(worker_id__in=gone).delete()
    return requeued
