"""The report's regression-adjusted (CUPED) estimates of the primary metric, per segment.

The covariate of each visitor is their outcome *predicted* from what was known before their
first exposure (docs/statistics.md, "Regression adjustment in the reports"):

1. attributes, most predictive first: prior engagement band (page views before the first
   exposure: none, 1, 2-4, 5 or more; a returning visitor's history, a new visitor's 0),
   industry, persona, the account's firmographic size band, the landing page;
2. hierarchically shrunk cell means of those attributes
   (:func:`~persx.engine.statistics.cross_fitted_predictions`), fitted on the **control
   arm's outcomes only** and **cross-fitted** over two folds split by a hash of the visitor
   id: a visitor's covariate never includes a treated outcome nor their own;
3. CUPED (:func:`~persx.engine.statistics.adjusted_lift`) at the report's unit: accounts
   when the experiment randomises by account or visitors share accounts as known at their
   first exposure (:mod:`~persx.analytics.account_links`; account-level sums, delta
   method), else visitors. The unadjusted result of the same call is the
   cluster-aware unadjusted estimate shown beside it.

For a new visitor the prediction rests on attributes alone; for a returning one their prior
engagement band comes first. Traffic source is not among the attributes: the event log
does not record it per visitor.

Visitors alike in arm, attributes and fold get the same prediction, so the conversion
analysis runs on cells: the database counts visitors and converters per cell
(:mod:`~persx.analytics.unit_cells`; read from the counts stored at the last rollup run,
:mod:`~persx.analytics.adjustment_cells`, while they are as fresh as the rollups), the
prediction is fitted on the control cells and the
sums are Σn·x, Σn·x², Σx·Σy per cell (:func:`~persx.engine.statistics.group_sums`); only
visitors linked to an account before exposure come one by one (their account's sums).
``tests/web/test_report_cells.py`` holds this to the per-visitor computation to 1e-9. The
pipeline section's covariates (:func:`predicted_outcomes`) stay per visitor: its outcomes
are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from persx.analytics.account_links import AccountOfVisitor, accounts_of
from persx.analytics.adjustment_cells import stored_cells
from persx.analytics.models import RollupState
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    AdjustedEstimate,
    Design,
    EstimateInterval,
)
from persx.analytics.services import STATE_NAME
from persx.analytics.unit_cells import UnitCell, engagement_band, fold_of, unit_cells
from persx.analytics.unit_rows import UnitRow
from persx.engine.statistics import (
    AccountSums,
    ClusteredLift,
    account_sums,
    adjusted_lift,
    cross_fitted_predictions,
    group_sums,
    relative_lift,
)
from persx.experiments.models import Experiment

__all__ = [
    "adjusted_estimates",
    "engagement_band",
    "predicted_outcomes",
    "randomization_unit",
    "report_unit",
]

COVARIATE = (
    "predicted conversion from pre-exposure data (prior page views, industry, persona, "
    "company size, landing page), fitted on control visitors of the other fold"
)


def _codes(values: Sequence[str]) -> list[int]:
    index: dict[str, int] = {}
    return [index.setdefault(v, len(index)) for v in values]


def _levels(
    bands: Sequence[int],
    industries: Sequence[str],
    personas: Sequence[str],
    sizes: Sequence[str],
    pages: Sequence[str],
) -> npt.NDArray[np.int64]:
    """The attributes' codes, most predictive first (the order of the shrinkage)."""
    return np.column_stack(
        [list(bands), _codes(industries), _codes(personas), _codes(sizes), _codes(pages)]
    ).astype(np.int64)


def predicted_outcomes(
    rows: Sequence[UnitRow],
    outcome: npt.NDArray[np.float64],
    fitting: npt.NDArray[np.bool_],
    accounts: dict[str, AccountOfVisitor],
) -> npt.NDArray[np.float64]:
    """Each visitor's ``outcome`` (any metric: a conversion, a pipeline amount) predicted
    from their pre-exposure attributes, cross-fitted on the ``fitting`` visitors (the
    control arm) of the other fold; the fitting visitors' mean where a fold has none."""
    sizes = [accounts[r.visitor_id].size if r.visitor_id in accounts else "" for r in rows]
    levels = _levels(
        [engagement_band(r.prior_page_views) for r in rows],
        [r.industry for r in rows],
        [r.persona for r in rows],
        sizes,
        [r.landing_page for r in rows],
    )
    folds = np.array([fold_of(r.visitor_id) for r in rows])
    predicted = cross_fitted_predictions(levels, folds, fitting * 1.0, outcome * fitting)
    fallback = float(outcome[fitting].mean()) if fitting.any() else 0.0
    return np.where(np.isnan(predicted), fallback, predicted)


def _cell_predictions(
    cells: Sequence[UnitCell], control: str, accounts: dict[str, AccountOfVisitor]
) -> npt.NDArray[np.float64]:
    """Each cell's cross-fitted predicted conversion (the same for each of its visitors):
    fitted on the control cells of the other fold."""
    sizes = [accounts[c.linked].size if c.linked in accounts else "" for c in cells]
    levels = _levels(
        [c.band for c in cells],
        [c.industry for c in cells],
        [c.persona for c in cells],
        sizes,
        [c.landing_page for c in cells],
    )
    fitting = np.array([c.arm == control for c in cells])
    visitors = np.array([c.visitors for c in cells], dtype=float) * fitting
    conversions = np.array([c.conversions for c in cells], dtype=float) * fitting
    folds = np.array([c.fold for c in cells])
    predicted = cross_fitted_predictions(levels, folds, visitors, conversions)
    fallback = float(conversions.sum() / visitors.sum()) if visitors.sum() > 0 else 0.0
    return np.where(np.isnan(predicted), fallback, predicted)


def _interval(result: ClusteredLift, floor: float | None = None) -> EstimateInterval:
    """The lift and its Fieller bounds; ``floor`` clips the lower bound (-100% for a ratio
    of rates, which cannot fall below it; an adjusted ratio can)."""
    finite = math.isfinite(result.lift)
    lower = result.lift_lower
    if floor is not None:
        lower = max(lower, floor)
    return EstimateInterval(
        lift=result.lift if finite else None,
        lower=lower if result.interval_exists else None,
        upper=result.lift_upper if result.interval_exists else None,
    )


def _add(first: AccountSums, second: AccountSums) -> AccountSums:
    """The sums of two disjoint sets of accounts."""
    return AccountSums(*(x + y for x, y in zip(first.arrays(), second.arrays(), strict=True)))


def _sums(cells: Sequence[tuple[UnitCell, float]], account_of: dict[str, str]) -> AccountSums:
    """One arm's account sums: a visitor linked to an account (``account_of``) counts in its
    account's totals; any other visitor is an account of one, counted by cell."""
    own = [(c, x) for c, x in cells if c.linked not in account_of]
    linked = [(c, x) for c, x in cells if c.linked in account_of]
    conversions = [float(c.conversions) for c, _ in own]
    total = group_sums(
        [float(c.visitors) for c, _ in own], conversions, conversions, [x for _, x in own]
    )
    if not linked:
        return total
    clustered = account_sums(  # a linked cell holds one visitor
        [account_of[c.linked] for c, _ in linked],
        [float(c.conversions) for c, _ in linked],
        [x for _, x in linked],
    )
    return _add(total, clustered)


def _count(sums: AccountSums) -> float:
    return float(np.asarray(sums.accounts))


def _estimate(
    design: Design,
    arm: str,
    segment: tuple[str, str],
    cells: Sequence[tuple[UnitCell, float]],
    unit: str,
    account_of: dict[str, str],
) -> AdjustedEstimate | None:
    control = [(c, x) for c, x in cells if c.arm == design.control]
    treated = [(c, x) for c, x in cells if c.arm == arm]
    c_visitors = sum(c.visitors for c, _ in control)
    t_visitors = sum(c.visitors for c, _ in treated)
    c_conversions = sum(c.conversions for c, _ in control)
    t_conversions = sum(c.conversions for c, _ in treated)
    if c_visitors < 2 or t_visitors < 2 or not c_conversions:
        return None
    c_sums, t_sums = _sums(control, account_of), _sums(treated, account_of)
    if _count(c_sums) < 2 or _count(t_sums) < 2:
        return None
    try:
        result = adjusted_lift(c_sums, t_sums, alpha=ALPHA)
    except ValueError:  # sums no data could produce (rounding at the Cauchy-Schwarz bound)
        return None
    visitor_level = None
    if unit == "account":
        naive = relative_lift(c_conversions, c_visitors, t_conversions, t_visitors, alpha=ALPHA)
        visitor_level = EstimateInterval(
            lift=naive.lift if math.isfinite(naive.lift) else None,
            lower=naive.lower if naive.interval_exists else None,
            upper=naive.upper if naive.interval_exists else None,
        )
    visitors = c_visitors + t_visitors
    returning = sum(c.visitors for c, _ in (*control, *treated) if c.band > 0)
    reduction = result.lift_variance_reduction
    return AdjustedEstimate(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=design.primary_metric,
        metric_family="conversion",
        unit=unit,
        visitors=visitors,
        units=int(_count(c_sums) + _count(t_sums)),
        returning_share=returning / visitors,
        covariate=COVARIATE,
        unadjusted=_interval(result.unadjusted, floor=-1.0),
        adjusted=_interval(result.adjusted),
        variance_reduction=reduction if math.isfinite(reduction) else None,
        theta=result.theta if math.isfinite(result.theta) else None,
        signs_disagree=result.signs_disagree,
        balance_p_value=result.balance.p_value if math.isfinite(result.balance.p_value) else None,
        imbalanced=result.balance.imbalanced,
        visitor_level=visitor_level,
    )


def randomization_unit(design: Design) -> str:
    """What the experiment randomises (``visitor`` for the global holdout)."""
    unit = (
        Experiment.objects.filter(key=design.key)
        .values_list("randomization_unit", flat=True)
        .first()
        if not design.is_holdout and hasattr(Experiment, "randomization_unit")
        else None
    )
    return str(unit or "visitor")


def report_unit(design: Design, accounts: dict[str, AccountOfVisitor]) -> str:
    """``account`` when the experiment randomises by account or two of its visitors share
    an account, else ``visitor``."""
    if randomization_unit(design) == "account":
        return "account"
    seen = [a.account for a in accounts.values()]
    return "account" if len(set(seen)) < len(seen) else "visitor"


def _cells(design: Design, accounts: dict[str, AccountOfVisitor]) -> list[UnitCell]:
    """The visitors counted by pre-exposure cell: from the counts stored at the rollups'
    watermark when there are any (O(cells)), else from the raw events (O(events))."""
    watermark = (
        RollupState.objects.filter(name=STATE_NAME).values_list("last_event_id", flat=True).first()
    )
    stored = (
        None
        if watermark is None
        else stored_cells(design.key, design.primary_metric, watermark, accounts.keys())
    )
    return stored if stored is not None else unit_cells(design.key, design.primary_metric)


def adjusted_estimates(
    design: Design, segments: Sequence[tuple[str, str]]
) -> tuple[str, list[AdjustedEstimate], str]:
    """The report's unit, the adjusted estimates (pooled and per industry, per treatment arm)
    and, when there are none, why. From the accounts of the visitors linked to one and the
    visitors counted by pre-exposure cell (:func:`_cells`)."""
    accounts = accounts_of(design.key)
    cells = _cells(design, accounts)
    unit = report_unit(design, accounts)
    if not cells:
        return unit, [], "No visitors yet."
    account_of = {v: a.account for v, a in accounts.items()} if unit == "account" else {}
    paired = list(
        zip(cells, _cell_predictions(cells, design.control, accounts).tolist(), strict=True)
    )
    estimates = []
    for arm in design.treatments:
        for segment in segments:
            subset = (
                paired
                if segment[0] == ALL_INDUSTRIES
                else [(c, x) for c, x in paired if c.industry == segment[0]]
            )
            estimate = _estimate(design, arm.key, segment, subset, unit, account_of)
            if estimate is not None:
                estimates.append(estimate)
    note = "" if estimates else "Too few visitors or no control conversions yet to adjust."
    return unit, estimates, note
