"""An experiment's status: which changes are allowed, and what each change stamps.

draft → running → stopped, and a stopped experiment may resume (running again, its
``started_at`` kept, ``stopped_at`` cleared). Once an experiment has run it never goes back
to draft: its visitors are already counted, so stop it (or raise the bucket version) instead.
"""

from __future__ import annotations

from datetime import datetime

from persx.experiments.models import Experiment

Status = Experiment.Status


def status_change_problem(previous: str | None, new: str) -> str | None:
    """Why going from ``previous`` (None: a new experiment) to ``new`` is refused, if it is."""
    if new not in Status.values:
        return f"status: unknown status {new!r}"
    if previous in (Status.RUNNING, Status.STOPPED) and new == Status.DRAFT:
        return "status: an experiment that has run cannot go back to draft; stop it instead"
    return None


def stamp_status_change(experiment: Experiment, previous: str | None, now: datetime) -> None:
    """Set ``started_at`` / ``stopped_at`` for a change from ``previous`` to the current status."""
    if experiment.status == previous:
        return
    if experiment.status == Status.RUNNING:
        experiment.started_at = experiment.started_at or now
        experiment.stopped_at = None
    elif experiment.status == Status.STOPPED:
        experiment.stopped_at = now
