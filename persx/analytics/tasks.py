"""The analytics jobs as tasks on the queue (``persx_rollup --enqueue``,
``persx_bandit_update --enqueue``; a ``persx_worker`` runs them). Each does what its
command does in one pass, so running one again is harmless: rollups fold from their
watermark, a bandit update stores the next version from the data."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from persx.analytics.bandit_services import update_running_bandits
from persx.analytics.rollup_statistics import refresh_columnar_cells
from persx.analytics.services import DEFAULT_BATCH_SIZE, update_rollups
from persx.jobs.enqueue import JOBS_BACKEND


@task(backend=JOBS_BACKEND)
def fold_new_events(batch_size: int = DEFAULT_BATCH_SIZE) -> dict[str, Any]:
    """Fold events stored since the last run into the rollups (and refresh the ClickHouse
    report cells when it is the event store)."""
    run = update_rollups(batch_size)
    cells = refresh_columnar_cells()
    done = {"events": run.events, "watermark": run.last_id, "seconds": round(run.seconds, 3)}
    if cells is not None:
        done["cells_visitors"] = cells.visitors
    return done


@task(backend=JOBS_BACKEND)
def update_bandits(refresh_rollups: bool = True) -> list[dict[str, Any]]:
    """Every running bandit's next allocation (a failing bandit fails the task, after the
    others are stored; its error is in the task's traceback)."""
    return [
        {"bandit": u.key, "version": u.version, "weights": u.weights, "note": u.note}
        for u in update_running_bandits(refresh_rollups=refresh_rollups)
    ]
