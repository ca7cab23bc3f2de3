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
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from persx.analytics.account_links import AccountOfVisitor, accounts_of
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    AdjustedEstimate,
    Design,
    EstimateInterval,
)
from persx.analytics.unit_rows import UnitRow, unit_rows
from persx.engine.statistics import (
    AccountSums,
    ClusteredLift,
    account_sums,
    adjusted_lift,
    cross_fitted_predictions,
    relative_lift,
)
from persx.experiments.models import Experiment

FOLDS = 2
COVARIATE = (
    "predicted conversion from pre-exposure data (prior page views, industry, persona, "
    "company size, landing page), fitted on control visitors of the other fold"
)


def engagement_band(page_views: int) -> int:
    """0: new, 1: one page before, 2: 2-4 pages, 3: five or more."""
    return 0 if page_views <= 0 else 1 if page_views == 1 else 2 if page_views < 5 else 3


def _fold(visitor_id: str) -> int:
    return zlib.crc32(visitor_id.encode()) % FOLDS


def _codes(values: Sequence[str]) -> list[int]:
    index: dict[str, int] = {}
    return [index.setdefault(v, len(index)) for v in values]


def predictions(
    rows: Sequence[UnitRow], control: str, accounts: dict[str, AccountOfVisitor]
) -> npt.NDArray[np.float64]:
    """Each visitor's cross-fitted predicted outcome (control outcomes of the other fold)."""
    return predicted_outcomes(
        rows,
        np.array([1.0 if r.converted else 0.0 for r in rows]),
        np.array([r.arm == control for r in rows]),
        accounts,
    )


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
    levels = np.column_stack(
        [
            [engagement_band(r.prior_page_views) for r in rows],
            _codes([r.industry for r in rows]),
            _codes([r.persona for r in rows]),
            _codes(sizes),
            _codes([r.landing_page for r in rows]),
        ]
    )
    folds = np.array([_fold(r.visitor_id) for r in rows])
    predicted = cross_fitted_predictions(levels, folds, fitting * 1.0, outcome * fitting)
    fallback = float(outcome[fitting].mean()) if fitting.any() else 0.0
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


def _sums(rows: list[tuple[UnitRow, float]], account_of: dict[str, str]) -> AccountSums:
    return account_sums(
        [account_of.get(r.visitor_id) for r, _ in rows],
        [1.0 if r.converted else 0.0 for r, _ in rows],
        [x for _, x in rows],
    )


def _estimate(
    design: Design,
    arm: str,
    segment: tuple[str, str],
    rows: list[tuple[UnitRow, float]],
    unit: str,
    account_of: dict[str, str],
) -> AdjustedEstimate | None:
    control = [(r, x) for r, x in rows if r.arm == design.control]
    treated = [(r, x) for r, x in rows if r.arm == arm]
    if len(control) < 2 or len(treated) < 2 or not any(r.converted for r, _ in control):
        return None
    c_sums, t_sums = _sums(control, account_of), _sums(treated, account_of)
    if float(np.asarray(c_sums.accounts)) < 2 or float(np.asarray(t_sums.accounts)) < 2:
        return None
    try:
        result = adjusted_lift(c_sums, t_sums, alpha=ALPHA)
    except ValueError:  # sums no data could produce (rounding at the Cauchy-Schwarz bound)
        return None
    visitor_level = None
    if unit == "account":
        c_conv = sum(r.converted for r, _ in control)
        t_conv = sum(r.converted for r, _ in treated)
        naive = relative_lift(c_conv, len(control), t_conv, len(treated), alpha=ALPHA)
        visitor_level = EstimateInterval(
            lift=naive.lift if math.isfinite(naive.lift) else None,
            lower=naive.lower if naive.interval_exists else None,
            upper=naive.upper if naive.interval_exists else None,
        )
    both = control + treated
    reduction = result.lift_variance_reduction
    return AdjustedEstimate(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=design.primary_metric,
        metric_family="conversion",
        unit=unit,
        visitors=len(both),
        units=int(float(np.asarray(c_sums.accounts)) + float(np.asarray(t_sums.accounts))),
        returning_share=sum(r.prior_page_views > 0 for r, _ in both) / len(both),
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


def adjusted_estimates(
    design: Design, segments: Sequence[tuple[str, str]]
) -> tuple[str, list[AdjustedEstimate], str]:
    """The report's unit, the adjusted estimates (pooled and per industry, per treatment arm)
    and, when there are none, why."""
    rows = unit_rows(design.key, design.primary_metric)
    accounts = accounts_of(design.key)
    unit = report_unit(design, accounts)
    if not rows:
        return unit, [], "No visitors yet."
    account_of = {v: a.account for v, a in accounts.items()} if unit == "account" else {}
    paired = list(zip(rows, predictions(rows, design.control, accounts).tolist(), strict=True))
    estimates = []
    for arm in design.treatments:
        for segment in segments:
            subset = (
                paired
                if segment[0] == ALL_INDUSTRIES
                else [(r, x) for r, x in paired if r.industry == segment[0]]
            )
            estimate = _estimate(design, arm.key, segment, subset, unit, account_of)
            if estimate is not None:
                estimates.append(estimate)
    note = "" if estimates else "Too few visitors or no control conversions yet to adjust."
    return unit, estimates, note
