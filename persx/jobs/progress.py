"""The progress of a long job as the admin's progress poller reads it
(``persx/static/persx/job_progress.js``): the fields every job's JSON status shares."""

from __future__ import annotations

from typing import Any


def progress_status(
    *, pk: int, status: str, status_label: str, finished: bool, done: int, total: int, message: str
) -> dict[str, Any]:
    """Id, state, counts and percent done (100 when there is nothing to do); a job adds its
    own counts beside these."""
    return {
        "id": pk,
        "status": status,
        "status_label": status_label,
        "finished": finished,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
        "message": message,
    }
