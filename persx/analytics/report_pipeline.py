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
pre-exposure prediction as the conversion analysis (prior page views, industry, persona,
company size, landing page; shrunk cell means,
:func:`~persx.engine.statistics.cross_fitted_predictions`), fitted for each metric on the
matured control visitors' outcomes of the other fold, then
:func:`~persx.engine.statistics.adjusted_lift` at the row's unit. Maturing visitors are in
neither the fit nor the sums. The account-capped metric has no adjusted row (its capping is
per account total, not per visitor).

Nothing here is per visitor except the visitors the CRM knows about: the database counts
the experiment's visitors (per arm and industry for the unadjusted rows,
:class:`~persx.analytics.pipeline_exposures.RolledUpExposures`; per pre-exposure cell for
the adjusted ones, :func:`~persx.analytics.pipeline_exposures.matured_cells`), visitors
alike in arm, attributes and fold share one prediction, and the sums are per cell
(:func:`~persx.engine.statistics.group_sums`); a visitor with an account link, a lead or a
matched outcome has a cell of their own, and at account level their account's sums.
``tests/web/test_pipeline_cells_sql.py`` holds this to the per-visitor formulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from persx.analytics.account_links import accounts_of
from persx.analytics.pipeline_exposures import (
    PreExposureCell,
    RolledUpExposures,
    matured_cells,
)
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    Design,
    PipelineRow,
    PipelineSection,
)
from persx.engine.statistics import (
    AccountSums,
    ClusteredLift,
    TTestResult,
    account_sums,
    adjusted_lift,
    cross_fitted_predictions,
    group_sums,
)
from persx.outcomes.pipeline_metrics import (
    ALL,
    VISITOR_METRICS,
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


def _codes(values: Sequence[str]) -> npt.NDArray[np.int64]:
    return np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)[1]


@dataclass(frozen=True, slots=True)
class _Covariates:
    """The matured visitors by pre-exposure cell and, per metric and cell (same order), the
    outcomes' Σy and Σy² and the cross-fitted prediction (the CUPED covariate) of each of
    the cell's visitors; ``accounts`` names the account of a cell of one that has one."""

    cells: tuple[PreExposureCell, ...]
    visitors: npt.NDArray[np.float64]
    totals: dict[str, npt.NDArray[np.float64]]
    squares: dict[str, npt.NDArray[np.float64]]
    predicted: dict[str, npt.NDArray[np.float64]]
    accounts: tuple[str | None, ...]


def _covariates(design: Design, cells: PipelineCells) -> _Covariates:
    window = timedelta(days=cells.window_days)
    counted = tuple(matured_cells(design.key, cells.as_of - window))
    units = {u.visitor_id: u for u in cells.matured_units}
    own = [units.get(c.visitor_id) if c.visitor_id else None for c in counted]
    visitors = np.array([c.visitors for c in counted], dtype=float)
    totals = {
        m: np.array([u.values[m] if u else 0.0 for u in own], dtype=float) for m in VISITOR_METRICS
    }
    squares = {m: y * y for m, y in totals.items()}  # a cell with a value is a cell of one
    pre_exposure = accounts_of(design.key)
    sizes = [
        pre_exposure[c.visitor_id].size if c.visitor_id in pre_exposure else "" for c in counted
    ]
    predicted: dict[str, npt.NDArray[np.float64]] = {}
    if counted:
        levels = np.column_stack(  # most predictive first (report_adjustment's order)
            [
                [c.band for c in counted],
                _codes([c.industry for c in counted]),
                _codes([c.persona for c in counted]),
                _codes(sizes),
                _codes([c.landing_page for c in counted]),
            ]
        ).astype(np.int64)
        fitting = np.array([c.arm == design.control for c in counted], dtype=float)
        folds = np.array([c.fold for c in counted], dtype=np.int64)
        for m, y in totals.items():
            weights, sums = visitors * fitting, y * fitting
            x = cross_fitted_predictions(levels, folds, weights, sums)
            fallback = float(sums.sum() / weights.sum()) if weights.sum() > 0 else 0.0
            predicted[m] = np.where(np.isnan(x), fallback, x)
    return _Covariates(
        cells=counted,
        visitors=visitors,
        totals=totals,
        squares=squares,
        predicted=predicted,
        accounts=tuple(u.account if u else None for u in own),
    )


def _add(first: AccountSums, second: AccountSums) -> AccountSums:
    """The sums of two disjoint sets of accounts."""
    return AccountSums(*(x + y for x, y in zip(first.arrays(), second.arrays(), strict=True)))


def _arm_sums(
    covariates: _Covariates, metric: str, unit: str, mask: npt.NDArray[np.bool_]
) -> AccountSums:
    """One arm's sums over the cells in ``mask``: every visitor an account of one, except
    at account level the cells of one with an account, grouped by it."""
    clustered = np.array(
        [unit == "account" and a is not None for a in covariates.accounts], dtype=bool
    )
    alone = mask & ~clustered
    y, x = covariates.totals[metric], covariates.predicted[metric]
    sums = group_sums(
        covariates.visitors[alone], y[alone], covariates.squares[metric][alone], x[alone]
    )
    together = mask & clustered
    if not together.any():
        return sums
    ids = [a for a, keep in zip(covariates.accounts, together, strict=True) if keep]
    return _add(sums, account_sums(ids, y[together], x[together]))


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
    in_segment = np.array(
        [segment[0] in (ALL_INDUSTRIES, c.industry) for c in covariates.cells], dtype=bool
    )
    arms = np.array([c.arm for c in covariates.cells], dtype=object)
    control = in_segment & (arms == design.control)
    treated = in_segment & (arms == arm)

    lift: tuple[float | None, float | None, float | None] = (None, None, None)
    means: tuple[float | None, float | None] = (None, None)
    reduction, disagree, note = None, False, ""
    c_sums = _arm_sums(covariates, metric, unit, control)
    t_sums = _arm_sums(covariates, metric, unit, treated)
    if float(np.asarray(c_sums.accounts)) < 2 or float(np.asarray(t_sums.accounts)) < 2:
        note = "too few matured visitors to adjust"
    elif not covariates.squares[metric][control].any():
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
        control_visitors=int(covariates.visitors[control].sum()),
        treatment_visitors=int(covariates.visitors[treated].sum()),
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
    cells: PipelineCells = pipeline_cells(design.key, as_of, RolledUpExposures(design.key))
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
