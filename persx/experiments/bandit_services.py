"""Every write to bandits: create/save (validated by the engine, status stamps), the first
allocation version when a bandit starts, and each new allocation version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from persx.engine.learning.bandit import AllocationTable, initial_table
from persx.engine.setup_errors import InvalidSetup
from persx.experiments.bandit_mappers import allocation_fields, setup_of
from persx.experiments.lifecycle import status_change_problem
from persx.experiments.models import Bandit, BanditAllocation

Status = Bandit.Status


def save_bandit(
    bandit: Bandit,
    previous_status: str | None,
    previous_arms: list[str] | None = None,
    now: datetime | None = None,
) -> Bandit:
    """Validate, stamp a status change and save (``previous_status`` None: a new bandit).

    Raises ``ValueError`` (``InvalidSetup`` naming the field for the engine's checks) for an
    invalid bandit or status change; nothing is written then. Starting a bandit without an
    allocation stores version 1 (equal shares) in the same transaction.
    """
    problem = status_change_problem(previous_status, bandit.status)
    if problem:
        raise ValueError(problem.replace("an experiment", "a bandit"))
    setup = setup_of(bandit)
    has_run = previous_status in (Status.RUNNING, Status.STOPPED)
    if has_run and previous_arms is not None and list(previous_arms) != list(setup.arms[1:]):
        raise InvalidSetup(
            "arms", "arms cannot change once the bandit has run; stop it and start a new one"
        )
    bandit.arms = list(setup.arms[1:])
    moment = now or timezone.now()
    if bandit.status != previous_status:
        if bandit.status == Status.RUNNING:
            bandit.started_at = bandit.started_at or moment
            bandit.stopped_at = None
        elif bandit.status == Status.STOPPED:
            bandit.stopped_at = moment
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


def set_bandit_status(key: str, status: str, now: datetime | None = None) -> Bandit:
    with transaction.atomic():
        bandit = Bandit.objects.select_for_update().get(key=key)
        previous = bandit.status
        bandit.status = status
        return save_bandit(bandit, previous, list(bandit.arms), now)


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
