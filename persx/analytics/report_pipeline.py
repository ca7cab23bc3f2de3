"""The report's pipeline section: CRM outcomes (qualified leads, opportunities, pipeline
value, won revenue) per arm, from :func:`persx.outcomes.pipeline_metrics.pipeline_cells`.

Each experiment has an attribution window (an outcome counts when it happens within N days
of the visitor's first exposure). Visitors whose window is still open are **maturing**: in
no sum (their pipeline may still come), counted and shown beside the numbers, never as
zeros. Per-visitor metrics are compared with Welch's t-test (relative lift, visitors as
independent); pipeline value is also compared per account (account-level sums, delta method,
Fieller interval), raw and capped at the stated percentile, since visitors of one company
share one deal.

Beside each unadjusted row stands its CUPED-adjusted row (``adjusted=True``) for the five
per-visitor metrics and for pipeline value per account (raw): the covariate is the same
pre-exposure prediction as the conversion analysis
(:func:`persx.analytics.report_adjustment.predicted_outcomes` over
:mod:`~persx.analytics.unit_rows`: prior page views, industry, persona, company size,
landing page), fitted for each metric on the matured control visitors' outcomes of the other
fold, then :func:`~persx.engine.statistics.adjusted_lift` at the row's unit. Maturing
visitors are in neither the fit nor the sums. The account-capped metric has no adjusted row
(its capping is per account total, not per visitor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from persx.analytics.account_links import accounts_of
from persx.analytics.models import ExperimentVisitor
from persx.analytics.report_adjustment import predicted_outcomes
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    Design,
    PipelineRow,
    PipelineSection,
)
from persx.analytics.unit_rows import unit_rows
from persx.engine.statistics import (
    AccountSums,
    ClusteredLift,
    TTestResult,
    account_sums,
    adjusted_lift,
)
from persx.outcomes.pipeline_metrics import (
    ALL,
    VISITOR_METRICS,
    MaturedUnit,
    PipelineCell,
    PipelineCells,
    account_lift,
    pipeline_cells,
    visitor_lift,
)

METRIC_LABELS = {
    "qualified_leads": "Qualified-lead rate",
    "opportunities": "Opportunity rate",
    "pipeline_value": "Pipeline value per visitor",
    "pipeline_value_capped": "Pipeline value per visitor, capped",
    "won_revenue": "Won revenue per visitor",
}


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _from_ttest(result: TTestResult) -> tuple[float | None, float | None, float | None]:
    return _finite(result.estimate), _finite(result.lower), _finite(result.upper)


def _from_clustered(
    result: ClusteredLift, floor: float = -1.0
) -> tuple[float | None, float | None, float | None]:
    """The lift and its Fieller bounds, the lower one clipped at ``floor`` (-100% for a ratio
    of non-negative means; an adjusted ratio can fall below it)."""
    exists = result.interval_exists
    return (
        _finite(result.lift),
        max(result.lift_lower, floor) if exists else None,
        result.lift_upper if exists else None,
    )


def _row(
    arm: str,
    segment: tuple[str, str],
    metric: str,
    unit: str,
    c: PipelineCell,
    t: PipelineCell,
) -> PipelineRow:
    label = METRIC_LABELS.get(metric, metric)
    capped = metric.endswith("_capped")
    values = c.metric(metric), t.metric(metric)
    lift: tuple[float | None, float | None, float | None] = (None, None, None)
    note = ""
    if c.visitors >= 2 and t.visitors >= 2 and values[0].total > 0:
        if unit == "account":
            if c.accounts is not None and t.accounts is not None:
                try:
                    lift = _from_clustered(account_lift(c, t, capped_values=capped, alpha=ALPHA))
                except ValueError as error:  # fewer than two accounts in an arm
                    note = str(error)
        else:
            lift = _from_ttest(visitor_lift(c, t, metric, alpha=ALPHA))
    elif c.visitors + t.visitors == 0:
        note = "every visitor is still maturing"
    else:
        note = "too few matured visitors or no control pipeline yet"
    return PipelineRow(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=metric,
        metric_label=label + (", account-level interval" if unit == "account" else ""),
        metric_family="pipeline",
        unit=unit,
        adjusted=False,
        control_visitors=c.visitors,
        treatment_visitors=t.visitors,
        control_maturing=c.maturing,
        treatment_maturing=t.maturing,
        control_value=_finite(values[0].mean) if c.visitors else None,
        treatment_value=_finite(values[1].mean) if t.visitors else None,
        lift=lift[0],
        lower=lift[1],
        upper=lift[2],
        note=note,
    )


@dataclass(frozen=True, slots=True)
class _Covariates:
    """The matured visitors with a pre-exposure row, and per metric their outcomes and
    cross-fitted predictions (the CUPED covariate), in the same order."""

    units: tuple[MaturedUnit, ...]
    outcomes: dict[str, npt.NDArray[np.float64]]
    predicted: dict[str, npt.NDArray[np.float64]]


def _covariates(design: Design, cells: PipelineCells) -> _Covariates:
    rows = {r.visitor_id: r for r in unit_rows(design.key, design.primary_metric)}
    units = tuple(u for u in cells.matured_units if u.visitor_id in rows)
    facts = [rows[u.visitor_id] for u in units]
    fitting = np.array([u.arm == design.control for u in units], dtype=bool)
    accounts = accounts_of(design.key)
    outcomes = {m: np.array([u.values[m] for u in units], dtype=float) for m in VISITOR_METRICS}
    predicted = {
        m: predicted_outcomes(facts, y, fitting, accounts) if units else y
        for m, y in outcomes.items()
    }
    return _Covariates(units, outcomes, predicted)


def _adjusted_row(
    design: Design,
    arm: str,
    segment: tuple[str, str],
    metric: str,
    unit: str,
    covariates: _Covariates,
    maturing: tuple[int, int],
) -> PipelineRow:
    """The CUPED-adjusted estimate of ``metric`` at ``unit``, matured visitors only."""
    chosen = np.array(
        [
            u.arm in (design.control, arm) and segment[0] in (ALL_INDUSTRIES, u.industry)
            for u in covariates.units
        ],
        dtype=bool,
    )
    members = [u for u, keep in zip(covariates.units, chosen, strict=True) if keep]
    y = covariates.outcomes[metric][chosen]
    x = covariates.predicted[metric][chosen]
    treated = np.array([u.arm == arm for u in members], dtype=bool)
    ids = [u.account if unit == "account" else None for u in members]

    def sums(mask: npt.NDArray[np.bool_]) -> AccountSums:
        kept = [account for account, keep in zip(ids, mask, strict=True) if keep]
        return account_sums(kept, y[mask], x[mask])

    lift: tuple[float | None, float | None, float | None] = (None, None, None)
    means: tuple[float | None, float | None] = (None, None)
    reduction, disagree, note = None, False, ""
    c_sums, t_sums = sums(~treated), sums(treated)
    if float(np.asarray(c_sums.accounts)) < 2 or float(np.asarray(t_sums.accounts)) < 2:
        note = "too few matured visitors to adjust"
    elif not y[~treated].any():
        note = "no control pipeline yet"
    else:
        try:
            result = adjusted_lift(c_sums, t_sums, alpha=ALPHA)
        except ValueError:  # sums no data could produce (rounding at the Cauchy-Schwarz bound)
            note = "no adjusted estimate for these sums"
        else:
            lift = _from_clustered(result.adjusted, floor=-math.inf)
            means = (
                _finite(result.adjusted.ratio_control),
                _finite(result.adjusted.ratio_treatment),
            )
            reduction = _finite(result.lift_variance_reduction)
            disagree = result.signs_disagree
    label = METRIC_LABELS.get(metric, metric)
    return PipelineRow(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=metric,
        metric_label=label
        + (", account-level interval" if unit == "account" else "")
        + ", CUPED-adjusted",
        metric_family="pipeline",
        unit=unit,
        adjusted=True,
        control_visitors=int((~treated).sum()),
        treatment_visitors=int(treated.sum()),
        control_maturing=maturing[0],
        treatment_maturing=maturing[1],
        control_value=means[0],
        treatment_value=means[1],
        lift=lift[0],
        lower=lift[1],
        upper=lift[2],
        note=note,
        variance_reduction=reduction,
        signs_disagree=disagree,
    )


METRICS: tuple[tuple[str, str], ...] = (
    ("qualified_leads", "visitor"),
    ("opportunities", "visitor"),
    ("pipeline_value", "visitor"),
    ("pipeline_value_capped", "visitor"),
    ("won_revenue", "visitor"),
    ("pipeline_value", "account"),
    ("pipeline_value_capped", "account"),
)
ADJUSTED: frozenset[tuple[str, str]] = frozenset(
    (metric, "visitor") for metric in VISITOR_METRICS
) | {("pipeline_value", "account")}


def pipeline_section(
    design: Design, segments: Sequence[tuple[str, str]], as_of: datetime
) -> PipelineSection | None:
    """The pipeline rows of every treatment arm and segment; None without visitors."""
    exposures = ExperimentVisitor.objects.filter(experiment=design.key).only(
        "visitor_id", "arm", "industry", "first_exposed_at"
    )
    cells: PipelineCells = pipeline_cells(design.key, as_of, exposures)
    if not cells.cells:
        return None
    covariates = _covariates(design, cells)
    rows = []
    for arm in design.treatments:
        for slug, label in segments:
            segment = ALL if slug == ALL_INDUSTRIES else slug
            c, t = cells.cell(design.control, segment), cells.cell(arm.key, segment)
            if c is None or t is None:
                continue
            for metric, unit in METRICS:
                row = _row(arm.key, (slug, label), metric, unit, c, t)
                rows.append(row)
                if (metric, unit) in ADJUSTED and c.visitors + t.visitors > 0:
                    rows.append(
                        _adjusted_row(
                            design,
                            arm.key,
                            (slug, label),
                            metric,
                            unit,
                            covariates,
                            (c.maturing, t.maturing),
                        )
                    )
    return PipelineSection(
        window_days=cells.window_days,
        currency=cells.currency,
        cap_percentile=cells.cap_percentile,
        visitor_cap=cells.visitor_cap,
        account_cap=cells.account_cap,
        maturing=cells.maturing,
        other_currency_outcomes=cells.other_currency_outcomes,
        rows=tuple(rows),
    )
