"""Experiment rows (and admin form values) → engine ``ExperimentDefinition``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db.models import F

from persx.engine.deciding.experiments import (
    Arm,
    ArmKind,
    ExperimentDefinition,
    Scope,
    ScopeKind,
    Targeting,
)
from persx.experiments.models import Experiment

logger = logging.getLogger("persx.experiments")


def arm_from_json(raw: Mapping[str, Any]) -> Arm:
    """One stored arm ``{key, kind, weight, variant_key?}`` → engine ``Arm`` (ValueError if bad)."""
    try:
        return Arm(
            key=str(raw["key"]),
            kind=ArmKind(raw["kind"]),
            weight=float(raw["weight"]),
            variant_key=str(raw["variant_key"]) if raw.get("variant_key") else None,
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"arms: malformed arm {raw!r}") from exc


def arm_to_json(arm: Arm) -> dict[str, Any]:
    """Engine ``Arm`` → the stored shape (``variant_key`` only on variant arms)."""
    stored: dict[str, Any] = {"key": arm.key, "kind": arm.kind.value, "weight": arm.weight}
    if arm.kind is ArmKind.VARIANT:
        stored["variant_key"] = arm.variant_key
    return stored


def stored_arms(raw: object) -> tuple[Arm, ...]:
    """The arms of a stored row for reading (reports): every arm that parses, in order.

    Rows are written through the admin form (validated by the engine), so every arm should
    parse; one that does not (a row edited outside the admin) is skipped and logged rather
    than hiding the whole report. A negative weight reads as 0; when no weight is positive,
    the arms read as equally weighted.
    """
    arms: list[Arm] = []
    for item in raw if isinstance(raw, list) else ():
        try:
            arm = arm_from_json(item)
        except (ValueError, TypeError):
            logger.warning("stored arm %r does not parse; skipped", item)
            continue
        if not arm.key:
            continue
        arms.append(replace(arm, weight=max(arm.weight, 0.0)))
    if arms and sum(a.weight for a in arms) <= 0:
        arms = [replace(a, weight=1.0) for a in arms]
    return tuple(arms)


def canonical_arms(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored arms in one canonical form (numbers as floats, no stray keys)."""
    return [arm_to_json(arm_from_json(a)) for a in raw]


def build_definition(
    *,
    key: str,
    seed: str,
    arms: Iterable[Mapping[str, Any]],
    coverage: float,
    hash_version: int,
    namespace: str,
    namespace_start: float,
    namespace_end: float,
    scope_kind: str,
    scope_value: str,
    target_industries: Sequence[str],
    requires_profile: bool,
    requires_consent: bool,
    primary_metric: str,
    secondary_metrics: Sequence[str],
    target_sources: Sequence[str] = (),
    randomization_unit: str = "visitor",
) -> ExperimentDefinition:
    """Validate and build the engine definition (raises ``ValueError`` naming the problem)."""
    return ExperimentDefinition.build(
        key=key,
        arms=[arm_from_json(a) for a in arms],
        seed=seed,
        coverage=coverage,
        hash_version=hash_version,
        namespace=(namespace, namespace_start, namespace_end) if namespace else None,
        scope=Scope(ScopeKind(scope_kind), scope_value),
        targeting=Targeting(
            tuple(target_industries), requires_profile, requires_consent, tuple(target_sources)
        ),
        primary_metric=primary_metric,
        secondary_metrics=tuple(secondary_metrics),
        unit=randomization_unit,
    )


def to_definition(row: Experiment) -> ExperimentDefinition:
    return build_definition(
        key=row.key,
        seed=row.seed,
        arms=row.arms,
        coverage=row.coverage,
        hash_version=row.hash_version,
        namespace=row.namespace,
        namespace_start=row.namespace_start,
        namespace_end=row.namespace_end,
        scope_kind=row.scope_kind,
        scope_value=row.scope_value,
        target_industries=row.target_industries or (),
        requires_profile=row.requires_profile,
        requires_consent=row.requires_consent,
        primary_metric=row.primary_metric,
        secondary_metrics=row.secondary_metrics or (),
        target_sources=row.target_sources or (),
        randomization_unit=row.randomization_unit,
    )


def load_running() -> tuple[ExperimentDefinition, ...]:
    """Every running experiment (one query), oldest start first.

    The engine puts a visitor in the first experiment that covers a block and admits them,
    so an experiment started later never takes visitors away from one already running.
    A row that no longer validates (edited outside the admin) is skipped and logged rather
    than breaking every page.
    """
    rows = Experiment.objects.filter(status=Experiment.Status.RUNNING).order_by(
        F("started_at").asc(nulls_last=True), "key"
    )
    definitions: list[ExperimentDefinition] = []
    for row in rows:
        try:
            definitions.append(to_definition(row))
        except ValueError:
            logger.exception("running experiment %s is invalid; ignored", row.key)
    return tuple(definitions)
