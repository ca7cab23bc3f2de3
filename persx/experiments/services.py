"""Every write to experiments: create, save (with status stamps), start and stop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from persx.experiments.lifecycle import stamp_status_change, status_change_problem
from persx.experiments.mappers import arm_to_json, to_definition
from persx.experiments.models import Experiment


def save_experiment(
    experiment: Experiment, previous_status: str | None, now: datetime | None = None
) -> Experiment:
    """Validate, stamp a status change and save (``previous_status`` None: a new experiment).

    Raises ``ValueError`` naming the field for an invalid experiment or status change;
    nothing is written then.
    """
    problem = status_change_problem(previous_status, experiment.status)
    if problem:
        raise ValueError(problem)
    definition = to_definition(experiment)  # the engine's validation (arms, weights, ...)
    experiment.arms = [arm_to_json(arm) for arm in definition.arms]
    stamp_status_change(experiment, previous_status, now or timezone.now())
    experiment.save()
    return experiment


def create_experiment(**fields: Any) -> Experiment:
    """A new experiment from model field values (used by commands, simulations and tests)."""
    return save_experiment(Experiment(**fields), previous_status=None)


def set_status(key: str, status: str, now: datetime | None = None) -> Experiment:
    with transaction.atomic():
        experiment = Experiment.objects.select_for_update().get(key=key)
        previous = experiment.status
        experiment.status = status
        return save_experiment(experiment, previous, now)


def start_experiment(key: str, now: datetime | None = None) -> Experiment:
    return set_status(key, Experiment.Status.RUNNING, now)


def stop_experiment(key: str, now: datetime | None = None) -> Experiment:
    return set_status(key, Experiment.Status.STOPPED, now)
