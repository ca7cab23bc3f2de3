"""What a report reads: experiment designs, rollup counts, the rollup state, labels.

Three grouped queries on :class:`DailyRollup` per report (cells by arm × industry × metric,
the primary metric by day, the primary metric by variant), whatever the number of events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet, Sum

from persx.analytics.models import DailyRollup, RollupState
from persx.analytics.report_model import ArmSpec, Counts, Design
from persx.analytics.rollup_sql import HOLDOUT_ARM, REST_ARM
from persx.analytics.services import STATE_NAME
from persx.catalog.repository import current_catalog
from persx.charts.number_format import percent
from persx.config import config
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.statistics import DEFAULT_TUNING_N
from persx.events.experiment_metrics import METRICS
from persx.experiments.mappers import stored_arms
from persx.experiments.models import Experiment

DEFAULT_SECONDARY = ("engagement", "form_completion", "email_signup", "bounce", "return_visit")

_SUMS = {
    "v": Sum("visitors"),
    "c": Sum("conversions"),
    "s": Sum("value_sum"),
    "q": Sum("value_sum_sq"),
}


def _counts(row: Mapping[str, Any]) -> Counts:
    return Counts(
        int(row["v"] or 0), int(row["c"] or 0), float(row["s"] or 0.0), float(row["q"] or 0.0)
    )


# --- designs ------------------------------------------------------------------------------


def _metrics(primary: str, secondary: Sequence[str]) -> tuple[str, ...]:
    ordered = [primary, *(secondary or DEFAULT_SECONDARY)]
    return tuple(dict.fromkeys(m for m in ordered if m))


def design_of(experiment: Experiment) -> Design:
    arms = tuple(ArmSpec(a.key, a.kind.value, a.weight) for a in stored_arms(experiment.arms))
    control = next((a.key for a in arms if a.kind == "generic"), arms[0].key if arms else "")
    secondary = (
        experiment.secondary_metrics if isinstance(experiment.secondary_metrics, list) else []
    )
    primary = experiment.primary_metric or "form_submission"
    return Design(
        key=experiment.key,
        name=experiment.name,
        hypothesis=experiment.hypothesis,
        status=experiment.status,
        arms=arms,
        control=control,
        primary_metric=primary,
        metrics=_metrics(primary, [str(m) for m in secondary]),
        tuning_n=experiment.sequential_tuning_n or DEFAULT_TUNING_N,
        started_at=experiment.started_at,
    )


def holdout_design() -> Design:
    share = config().holdout_share
    return Design(
        key=HOLDOUT_EXPERIMENT,
        name="Global holdout: personalization vs none",
        hypothesis=(
            f"Profiled visitors who get personalized content ({percent(1 - share, 0)} of them) "
            f"convert more than the {percent(share, 0)} held out with generic content."
        ),
        status="running" if share > 0 else "off",
        arms=(ArmSpec(HOLDOUT_ARM, "generic", share), ArmSpec(REST_ARM, "personalized", 1 - share)),
        control=HOLDOUT_ARM,
        primary_metric="form_submission",
        metrics=_metrics("form_submission", ("cta_click", *DEFAULT_SECONDARY)),
        tuning_n=DEFAULT_TUNING_N,
        is_holdout=True,
    )


def find_design(key: str) -> Design | None:
    if key == HOLDOUT_EXPERIMENT:
        return holdout_design()
    experiment = Experiment.objects.filter(key=key).first()
    return design_of(experiment) if experiment is not None else None


def all_designs() -> list[Design]:
    """The global holdout, then running, stopped and draft experiments (newest first)."""
    order = {"running": 0, "stopped": 1, "draft": 2}
    designs = [design_of(e) for e in Experiment.objects.all()]
    designs.sort(key=lambda d: order.get(d.status, 3))
    return [holdout_design(), *designs]


# --- counts -------------------------------------------------------------------------------


def _rollups(design: Design) -> QuerySet[DailyRollup]:
    return DailyRollup.objects.filter(experiment=design.key)


def cell_counts(design: Design) -> dict[tuple[str, str, str], Counts]:
    """Counts by (arm, industry, metric) over every day, for the design's metrics."""
    rows = (
        _rollups(design)
        .filter(metric__in=design.metrics)
        .values("arm", "industry", "metric")
        .annotate(**_SUMS)
        .order_by()
    )
    return {(r["arm"], r["industry"], r["metric"]): _counts(r) for r in rows}


def daily_counts(design: Design) -> dict[date, dict[str, Counts]]:
    """The primary metric's counts by day and arm."""
    by_day: dict[date, dict[str, Counts]] = defaultdict(dict)
    rows = (
        _rollups(design)
        .filter(metric=design.primary_metric)
        .values("day", "arm")
        .annotate(**_SUMS)
        .order_by("day")
    )
    for row in rows:
        by_day[row["day"]][row["arm"]] = _counts(row)
    return by_day


def variant_counts(design: Design) -> dict[tuple[str, str], Counts]:
    """The primary metric's counts by (arm, variant shown or would-be variant)."""
    rows = (
        _rollups(design)
        .filter(metric=design.primary_metric)
        .values("arm", "variant")
        .annotate(**_SUMS)
        .order_by()
    )
    return {(r["arm"], r["variant"]): _counts(r) for r in rows}


def rollup_state() -> tuple[datetime | None, int]:
    """When the rollups were last updated, and the last event id they hold."""
    state = RollupState.objects.filter(name=STATE_NAME).first()
    return (state.updated_at, state.last_event_id) if state else (None, 0)


def visitors_per_experiment(keys: Sequence[str]) -> dict[str, dict[str, int]]:
    """Visitors per arm of each experiment (one grouped query), for listings."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    if not keys:
        return out
    rows = (
        DailyRollup.objects.filter(experiment__in=keys, metric=METRICS[0].key)
        .values("experiment", "arm")
        .annotate(v=Sum("visitors"))
        .order_by()
    )
    for row in rows:
        out[row["experiment"]][row["arm"]] = int(row["v"] or 0)
    return out


# --- labels (the catalog snapshot) --------------------------------------------------------


def segment_labels(slugs: Iterable[str]) -> list[tuple[str, str]]:
    """(slug, industry name) in catalog order; "No industry" for visitors without one."""
    catalog = current_catalog()
    order = {industry.slug: i for i, industry in enumerate(catalog.industries)}

    def label(slug: str) -> str:
        if not slug:
            return "No industry"
        industry = catalog.industry(slug)
        return industry.name if industry is not None else slug

    ordered = sorted(set(slugs), key=lambda s: (order.get(s, len(order)), s == "", s))
    return [(s, label(s)) for s in ordered]


def variant_label(variant: str) -> str:
    kind, _, slug = variant.partition(":")
    if not slug:
        return variant or "generic"
    catalog = current_catalog()
    if kind == "industry":
        industry = catalog.industry(slug)
        return f"Industry: {industry.name if industry else slug}"
    if kind == "persona":
        persona = catalog.persona(slug)
        return f"Persona: {persona.name if persona else slug}"
    return variant
