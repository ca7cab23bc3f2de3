"""The personalization overview: how much of the audience gets personalized content, the PLI
per industry (global holdout and running experiments), the best and the underperforming
variants. Reads DailyRollup only (through :mod:`persx.analytics.reports`).

- Personalization rate: of the profiled visitors (everyone counted by the global holdout
  comparison, held out or not), the share shown at least one personalized block.
- Variants: for each audience variant (``industry:…`` / ``persona:…``), visitors who saw it
  against control (or held-out) visitors who would have seen it, on the primary metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import Sum

from persx.analytics.models import DailyRollup
from persx.analytics.report_model import ExperimentReport, VariantRow
from persx.analytics.report_queries import all_designs, holdout_design
from persx.analytics.reports import build_report
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.statistics import VerdictStatus
from persx.events.experiment_metrics import PERSONALIZED

TOP_VARIANTS = 5


@dataclass(frozen=True, slots=True)
class PersonalizationRate:
    profiled_visitors: int
    personalized_visitors: int
    rate: float | None
    outside_holdout_visitors: int
    outside_holdout_personalized: int
    outside_holdout_rate: float | None


@dataclass(frozen=True, slots=True)
class Overview:
    rate: PersonalizationRate
    holdout: ExperimentReport
    experiments: tuple[ExperimentReport, ...]  # running experiments
    top_variants: tuple[VariantRow, ...]
    underperforming_variants: tuple[VariantRow, ...]
    variants_measured: int


def personalization_rate() -> PersonalizationRate:
    rows = (
        DailyRollup.objects.filter(experiment=HOLDOUT_EXPERIMENT, metric=PERSONALIZED)
        .values("arm")
        .annotate(v=Sum("visitors"), c=Sum("conversions"))
        .order_by()
    )
    by_arm = {r["arm"]: (int(r["v"] or 0), int(r["c"] or 0)) for r in rows}
    visitors = sum(v for v, _ in by_arm.values())
    personalized = sum(c for _, c in by_arm.values())
    rest_v, rest_c = by_arm.get("rest", (0, 0))
    return PersonalizationRate(
        profiled_visitors=visitors,
        personalized_visitors=personalized,
        rate=personalized / visitors if visitors else None,
        outside_holdout_visitors=rest_v,
        outside_holdout_personalized=rest_c,
        outside_holdout_rate=rest_c / rest_v if rest_v else None,
    )


def _sort_key(row: VariantRow) -> tuple[bool, float]:
    """Bounded estimates first (an unbounded one is not a result yet), then by PLI."""
    lift = row.lift if row.lift is not None and math.isfinite(row.lift) else -math.inf
    return (row.interval_exists, lift)


def build_overview() -> Overview:
    # Unadjusted, visitor-level reports: the per-visitor analyses are each report's own page.
    holdout = build_report(holdout_design(), with_adjustment=False)
    experiments = tuple(
        build_report(d, with_adjustment=False)
        for d in all_designs()
        if not d.is_holdout and d.status == "running"
    )
    variants = [
        v for report in (holdout, *experiments) for v in report.variants if v.lift is not None
    ]
    underperforming = tuple(
        sorted(
            (
                v
                for v in variants
                if v.verdict is not None and v.verdict.status == VerdictStatus.UNDERPERFORMING
            ),
            key=lambda v: v.lift if v.lift is not None else 0.0,
        )
    )
    top = tuple(
        sorted((v for v in variants if v not in underperforming), key=_sort_key, reverse=True)[
            :TOP_VARIANTS
        ]
    )
    return Overview(
        rate=personalization_rate(),
        holdout=holdout,
        experiments=experiments,
        top_variants=top,
        underperforming_variants=underperforming,
        variants_measured=len(variants),
    )
