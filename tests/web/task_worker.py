"""django-tasks' database worker run inside a test (``persx.jobs.worker.run_worker``: the
library's claim-and-run loop plus PersX's heartbeat), on the test's own connection, so it
sees the test's rows and its work is rolled back with the test.

The loop calls ``close_old_connections`` between tasks (as a request would at its end);
inside the test's transaction that drops the connection, so it is switched off here, as
Django's test client switches off the same call at the end of its requests. Everything
else is the worker as deployed; tests/web/test_task_queue.py also runs real worker
processes."""

from __future__ import annotations

import pytest
from django_tasks.backends.database.management.commands import db_worker

from persx.jobs.worker import run_worker


def run_queued_tasks(monkeypatch: pytest.MonkeyPatch, queues: str = "*") -> None:
    """Run every task waiting on ``queues`` (comma-separated, '*' for all), then return."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    run_worker(queue_names=queues.split(","), batch=True, handle_signals=False, beat_every=0)
