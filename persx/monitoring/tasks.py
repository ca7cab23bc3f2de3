"""The monitor pass as a task on the queue (``persx_monitor --enqueue``; a ``persx_worker``
runs it). The same pass as the command's: refresh the hourly counts, evaluate the rules,
notify."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from persx.jobs.enqueue import JOBS_BACKEND
from persx.monitoring.services import run_monitor_pass

logger = logging.getLogger("persx.monitoring")


@task(backend=JOBS_BACKEND)
def monitor_pass(backfill_hours: int = 2) -> dict[str, Any]:
    result = run_monitor_pass(timezone.now(), timedelta(hours=backfill_hours))
    summary = {
        "opened": [i.rule.key for i in result.opened],
        "resolved": [i.rule.key for i in result.resolved],
        "still_open": [i.rule.key for i in result.updated],
        "pending": list(result.pending),
        "delivered": result.delivered,
        "delivery_failures": result.delivery_failures,
        "seconds": round(result.seconds, 3),
    }
    logger.info("monitor pass done", extra=summary)
    return summary
