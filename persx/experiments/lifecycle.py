"""The status of every kind of experiment: which changes are allowed, and what each stamps.

draft → running → stopped, and a stopped experiment may resume (running again, its
``started_at`` kept, ``stopped_at`` cleared). Once an experiment has run it never goes back
to draft: its visitors are already counted, so stop it (or raise the bucket version) instead.

One lifecycle for every kind (:class:`~persx.experiments.models.AbstractExperiment`): the
messages name the kind from its model's verbose name ("an experiment", "a bandit"), so a new
kind joins without a lifecycle of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from persx.experiments.models import AbstractExperiment, Status

_EVERY_STATUS = frozenset(Status.values)

# The statuses each status may change to (None: a new row, which may start in any status).
ALLOWED_NEXT: Mapping[str | None, frozenset[str]] = {
    None: _EVERY_STATUS,
    Status.DRAFT: _EVERY_STATUS,
    Status.RUNNING: frozenset({Status.RUNNING, Status.STOPPED}),
    Status.STOPPED: frozenset({Status.STOPPED, Status.RUNNING}),
}


def kind_name(kind: type[AbstractExperiment]) -> str:
    """The kind with its article, for messages: "an experiment", "a bandit"."""
    noun = str(kind._meta.verbose_name)
    article = "an" if noun[:1].lower() in ("a", "e", "i", "o", "u") else "a"
    return f"{article} {noun}"


def has_run(status: str | None) -> bool:
    """Whether a row in ``status`` has had visitors (running now or stopped after running)."""
    return status in (Status.RUNNING, Status.STOPPED)


def status_change_problem(
    kind: type[AbstractExperiment], previous: str | None, new: str
) -> str | None:
    """Why going from ``previous`` (None: a new row) to ``new`` is refused, if it is."""
    if new not in _EVERY_STATUS:
        return f"status: unknown status {new!r}"
    if new in ALLOWED_NEXT.get(previous, _EVERY_STATUS):
        return None
    # The only refused change: back to draft after running.
    return f"status: {kind_name(kind)} that has run cannot go back to draft; stop it instead"


def check_status_change(row: AbstractExperiment, previous: str | None) -> None:
    """Raise ``ValueError`` naming the status if ``row`` may not change from ``previous``."""
    problem = status_change_problem(type(row), previous, row.status)
    if problem:
        raise ValueError(problem)


def stamp_status_change(row: AbstractExperiment, previous: str | None, now: datetime) -> None:
    """Set ``started_at`` / ``stopped_at`` for a change from ``previous`` to the current status."""
    if row.status == previous:
        return
    if row.status == Status.RUNNING:
        row.started_at = row.started_at or now
        row.stopped_at = None
    elif row.status == Status.STOPPED:
        row.stopped_at = now
