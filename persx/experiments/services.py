"""Every write to experiments of every kind: save (validated by the engine, status stamps by
``lifecycle``), create, change status; for bandits also their allocation versions.

Each kind has one ``save_<kind>(row, previous_status, now)`` (``previous_status`` None: a new
row) that checks the status change, validates through the engine, stamps and saves;
``change_status`` is the one way any kind's status changes by key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from persx.engine.deciding.bandit_arms import AllocationTable
from persx.engine.learning.bandit import initial_table
from persx.engine.setup_errors import InvalidSetup
from persx.experiments.bandit_mappers import allocation_fields, setup_of
from persx.experiments.lifecycle import check_status_change, has_run, stamp_status_change
from persx.experiments.mappers import arm_to_json, to_definition
from persx.experiments.models import (
    AbstractExperiment,
    Bandit,
    BanditAllocation,
    Experiment,
    Status,
)

Kind = TypeVar("Kind", bound=AbstractExperiment)

# What a bandit's form and its service say when arms change after it has run.
BANDIT_ARMS_FIXED = "cannot change once the bandit has run; stop it and start a new one"


def change_status(
    kind: type[Kind],
    key: str,
    status: str,
    save: Callable[[Kind, str | None, datetime | None], Kind],
    now: datetime | None = None,
) -> Kind:
    """Set the status of ``kind``'s row ``key`` and save it with ``save`` (locked meanwhile)."""
    with transaction.atomic():
        row = kind._default_manager.select_for_update().get(key=key)
        previous = row.status
        row.status = status
        return save(row, previous, now)


# --- experiments (fixed allocation) -------------------------------------------------------


def save_experiment(
    experiment: Experiment, previous_status: str | None, now: datetime | None = None
) -> Experiment:
    """Validate, stamp a status change and save.

    Raises ``ValueError`` naming the field for an invalid experiment or status change;
    nothing is written then.
    """
    check_status_change(experiment, previous_status)
    definition = to_definition(experiment)  # the engine's validation (arms, weights, ...)
    experiment.arms = [arm_to_json(arm) for arm in definition.arms]
    stamp_status_change(experiment, previous_status, now or timezone.now())
    experiment.save()
    return experiment


def create_experiment(**fields: Any) -> Experiment:
    """A new experiment from model field values (used by commands, simulations and tests)."""
    return save_experiment(Experiment(**fields), previous_status=None)


def set_status(key: str, status: str, now: datetime | None = None) -> Experiment:
    return change_status(Experiment, key, status, save_experiment, now)


def start_experiment(key: str, now: datetime | None = None) -> Experiment:
    return set_status(key, Status.RUNNING, now)


def stop_experiment(key: str, now: datetime | None = None) -> Experiment:
    return set_status(key, Status.STOPPED, now)


# --- bandits -------------------------------------------------------------------------------


def save_bandit(
    bandit: Bandit,
    previous_status: str | None,
    previous_arms: list[str] | None = None,
    now: datetime | None = None,
) -> Bandit:
    """Validate, stamp a status change and save.

    Raises ``ValueError`` (``InvalidSetup`` naming the field for the engine's checks) for an
    invalid bandit or status change; nothing is written then. Starting a bandit without an
    allocation stores version 1 (equal shares) in the same transaction.
    """
    check_status_change(bandit, previous_status)
    setup = setup_of(bandit)
    arms = list(setup.arms[1:])
    if has_run(previous_status) and previous_arms is not None and list(previous_arms) != arms:
        raise InvalidSetup("arms", BANDIT_ARMS_FIXED)
    bandit.arms = arms
    moment = now or timezone.now()
    stamp_status_change(bandit, previous_status, moment)
    with transaction.atomic():
        bandit.save()
        if bandit.status == Status.RUNNING and not bandit.allocations.exists():
            store_allocation(
                bandit,
                initial_table(bandit.key, setup.arms, setup.policy),
                {"note": "version 1: equal shares before any data"},
                moment,
            )
    return bandit


def create_bandit(**fields: Any) -> Bandit:
    """A new bandit from model field values (commands, simulations and tests)."""
    return save_bandit(Bandit(**fields), previous_status=None)


def _save_bandit_keeping_arms(
    bandit: Bandit, previous_status: str | None, now: datetime | None
) -> Bandit:
    return save_bandit(bandit, previous_status, list(bandit.arms), now)


def set_bandit_status(key: str, status: str, now: datetime | None = None) -> Bandit:
    return change_status(Bandit, key, status, _save_bandit_keeping_arms, now)


def store_allocation(
    bandit: Bandit,
    table: AllocationTable,
    inputs: Mapping[str, Any],
    computed_at: datetime | None = None,
) -> BanditAllocation:
    """Store ``table`` as a new version (the snapshot of every process is invalidated)."""
    return BanditAllocation.objects.create(
        bandit=bandit,
        computed_at=computed_at or timezone.now(),
        inputs=dict(inputs),
        **allocation_fields(table),
    )
