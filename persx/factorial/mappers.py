"""Factorial experiment rows → the engine's ``FactorialDefinition`` (validated there)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db.models import F

from persx.engine.deciding.factorial_cells import FactorialDefinition
from persx.factorial.models import FactorialExperiment

logger = logging.getLogger("persx.factorial")


def factor_pairs(factors: Any) -> list[tuple[str, list[str]]]:
    """The stored factors as ``[(block type, [option, ...]), ...]`` (malformed → empty)."""
    if not isinstance(factors, list):
        return []
    pairs = []
    for factor in factors:
        if isinstance(factor, dict):
            options = factor.get("options")
            pairs.append(
                (
                    str(factor.get("block_type") or ""),
                    [str(o) for o in options] if isinstance(options, list) else [],
                )
            )
    return pairs


def factors_json(pairs: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    return [{"block_type": block, "options": list(options)} for block, options in pairs]


def to_definition(row: FactorialExperiment) -> FactorialDefinition:
    """The engine's definition of ``row`` (raises ``InvalidSetup`` naming the field)."""
    return FactorialDefinition.build(
        key=row.key,
        factors=factor_pairs(row.factors),
        seed=row.seed,
        coverage=row.coverage,
        hash_version=row.hash_version,
        unit=row.randomization_unit,
    )


def load_running() -> tuple[FactorialDefinition, ...]:
    """Every running factorial experiment, oldest start first (one query). A row that no
    longer validates (edited outside the admin) is skipped and logged."""
    rows = FactorialExperiment.objects.filter(status=FactorialExperiment.Status.RUNNING).order_by(
        F("started_at").asc(nulls_last=True), "key"
    )
    definitions: list[FactorialDefinition] = []
    for row in rows:
        try:
            definitions.append(to_definition(row))
        except ValueError:
            logger.exception("running factorial experiment %s is invalid; skipped", row.key)
    return tuple(definitions)
