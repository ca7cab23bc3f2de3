"""What the queue itself does not keep: which workers are alive.

django-tasks' database backend marks a task RUNNING when a worker claims it and never
looks at it again; a worker killed mid-task (SIGKILL, the machine lost) would leave it
RUNNING for ever. Each worker (:mod:`persx.jobs.worker`) keeps a heartbeat row, so
:mod:`persx.jobs.recovery` can tell a task still being run from one whose worker is gone.
"""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} (seen {self.seen_at:%Y-%m-%d %H:%M:%S})"
