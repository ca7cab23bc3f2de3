"""Putting a job on the queue once: a periodic job (``--every`` loops) is not queued again
while an earlier one still waits, so a busy worker does not pile up passes."""

from __future__ import annotations

from typing import Any

from django_tasks import TaskResult, TaskResultStatus
from django_tasks.backends.database.models import DBTaskResult
from django_tasks.base import Task

JOBS_BACKEND = "jobs"  # settings.TASKS: the database backend PersX's jobs are queued on


def enqueue_once(task: Task[Any, Any], *args: Any, **kwargs: Any) -> TaskResult[Any] | None:
    """Queue ``task``, unless one of the same task is still waiting (then None)."""
    waiting = DBTaskResult.objects.filter(
        task_path=task.module_path, backend_name=task.backend, status=TaskResultStatus.READY
    ).exists()
    return None if waiting else task.enqueue(*args, **kwargs)
