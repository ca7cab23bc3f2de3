"""Every write to factorial experiments: save (validated by the engine, status stamps by the
one lifecycle of every kind), create, change status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from persx.engine.setup_errors import InvalidSetup
from persx.experiments.lifecycle import check_status_change, has_run, stamp_status_change
from persx.experiments.models import Status
from persx.experiments.services import change_status
from persx.factorial.mappers import factor_pairs, factors_json, to_definition
from persx.factorial.models import FactorialExperiment

# What the form and the service say when the design changes after the experiment has run.
FACTORS_FIXED = "cannot change once the experiment has run; stop it and start a new one"


def save_factorial(
    row: FactorialExperiment,
    previous_status: str | None,
    now: datetime | None = None,
    previous_factors: list[Any] | None = None,
) -> FactorialExperiment:
    """Validate, stamp a status change and save (``previous_status`` None: a new row).

    Raises ``ValueError`` (``InvalidSetup`` naming the field) for an invalid design, a
    design changed after the experiment has run (``previous_factors``: the stored design),
    or a refused status change; nothing is written then.
    """
    check_status_change(row, previous_status)
    definition = to_definition(row)
    row.factors = factors_json(
        [(f.block_type, [o.value for o in f.options]) for f in definition.factors]
    )
    stored = factors_json(factor_pairs(previous_factors)) if previous_factors is not None else None
    changed = stored is not None and stored != row.factors
    if has_run(previous_status) and changed:
        raise InvalidSetup("arms", f"factors: {FACTORS_FIXED}")
    stamp_status_change(row, previous_status, now or timezone.now())
    row.save()
    return row


def create_factorial(**fields: Any) -> FactorialExperiment:
    """A new factorial experiment from model field values (commands and tests)."""
    return save_factorial(FactorialExperiment(**fields), previous_status=None)


def set_factorial_status(key: str, status: str, now: datetime | None = None) -> FactorialExperiment:
    return change_status(FactorialExperiment, key, status, _save_keeping_factors, now)


def _save_keeping_factors(
    row: FactorialExperiment, previous_status: str | None, now: datetime | None
) -> FactorialExperiment:
    return save_factorial(row, previous_status, now, previous_factors=list(row.factors))


def start_factorial(key: str, now: datetime | None = None) -> FactorialExperiment:
    return set_factorial_status(key, Status.RUNNING, now)


def stop_factorial(key: str, now: datetime | None = None) -> FactorialExperiment:
    return set_factorial_status(key, Status.STOPPED, now)
