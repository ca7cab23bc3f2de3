"""What a report reads: experiment designs, counts, the rollup state, labels.

Three grouped queries per report (cells by arm × industry × metric, the primary metric by
day, the primary metric by variant), whatever the number of events, from the configured
event store (``persx.eventstore``): the relational rollups
(:mod:`~persx.analytics.rollup_statistics`) or ClickHouse.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from persx.analytics.models import RollupState
from persx.analytics.report_model import ArmSpec, Counts, Design
from persx.analytics.rollup_sql import HOLDOUT_ARM, REST_ARM
from persx.analytics.rollup_statistics import RollupStatistics, counting_rules
from persx.analytics.services import STATE_NAME
from persx.catalog.repository import current_catalog
from persx.charts.number_format import percent
from persx.config import config
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.statistics import DEFAULT_TUNING_N
from persx.eventstore.port import Scope, StatisticsSource, Sums
from persx.eventstore.selection import columnar_store
from persx.experiments.mappers import stored_arms
from persx.experiments.models import Experiment

DEFAULT_SECONDARY = ("engagement", "form_completion", "email_signup", "bounce", "return_visit")

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


def _statistics() -> StatisticsSource:
    """The configured store's statistics: ClickHouse, or the relational rollups."""
    return columnar_store() or RollupStatistics()


def _scope(design: Design, metrics: tuple[str, ...]) -> Scope:
    return Scope(design.key, metrics, counting_rules())


def _as_counts(sums: Sums) -> Counts:
    return Counts(*sums)


def cell_counts(design: Design) -> dict[tuple[str, str, str], Counts]:
    """Counts by (arm, industry, metric) over every day, for the design's metrics."""
    sums = _statistics().arm_segment_sums(_scope(design, design.metrics))
    return {key: _as_counts(s) for key, s in sums.items()}


def daily_counts(design: Design) -> dict[date, dict[str, Counts]]:
    """The primary metric's counts by day and arm."""
    by_day = _statistics().daily_sums(_scope(design, (design.primary_metric,)))
    return {day: {arm: _as_counts(s) for arm, s in arms.items()} for day, arms in by_day.items()}


def variant_counts(design: Design) -> dict[tuple[str, str], Counts]:
    """The primary metric's counts by (arm, variant shown or would-be variant)."""
    sums = _statistics().variant_sums(_scope(design, (design.primary_metric,)))
    return {key: _as_counts(s) for key, s in sums.items()}


def rollup_state() -> tuple[datetime | None, int]:
    """When the rollups were last updated, and the last event id they hold (on ClickHouse:
    when its report cells were last refreshed, what the report is as fresh as; no id)."""
    columnar = columnar_store()
    if columnar is not None:
        return columnar.cells_refreshed_at(counting_rules()), 0
    state = RollupState.objects.filter(name=STATE_NAME).first()
    return (state.updated_at, state.last_event_id) if state else (None, 0)


def visitors_per_experiment(keys: Sequence[str]) -> dict[str, dict[str, int]]:
    """Visitors per arm of each experiment (one grouped query), for listings."""
    return _statistics().visitors_per_arm(keys, counting_rules())


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
