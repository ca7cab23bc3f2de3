"""The statistics of a report, from counts alone (no database, no wording).

Every function takes :class:`~persx.analytics.report_model.Counts` (visitors, converters,
Σ value, Σ value²) and calls :mod:`persx.engine.statistics`; the results are typed values of
:mod:`persx.analytics.report_model`. A number that cannot be computed (no visitors, a rate
of exactly 0 or 1, NaN) is ``None``, never NaN.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

import numpy as np

from persx.analytics.report_model import (
    ALPHA,
    TARGET_PLI,
    UNDERPERFORMING_BELOW,
    ArmSpec,
    ArmTraffic,
    Comparison,
    Counts,
    Design,
    LiftStats,
    Series,
    SeriesPoint,
    VerdictNumbers,
)
from persx.engine.statistics import (
    SRM_THRESHOLD,
    SegmentCounts,
    SRMResult,
    benjamini_hochberg,
    chance_to_win,
    confidence_sequence,
    fieller_interval_arrays,
    minimum_detectable_effect,
    pool_relative_lifts,
    proportion_ttest,
    relative_lift,
    sequential_relative_lift,
    sequential_relative_lift_arrays,
    srm_test,
    underperformance_verdict,
    visitors_still_needed,
    welch_ttest,
)
from persx.events.experiment_metrics import Metric


def clean(value: float | None) -> float | None:
    """``value``, or None for NaN."""
    return value if value is not None and not math.isnan(value) else None


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def chance_to_win_either_way(xc: int, nc: int, xt: int, nt: int) -> float:
    """``chance_to_win``, summed over whichever is rarer: conversions or non-conversions.

    The exact sum costs one term per conversion of the arm with fewer; for a common outcome
    (a bounce rate of 80%) the same probability is 1 - P(the non-conversion rate is higher).
    """
    if min(xc, xt) > min(nc - xc, nt - xt):
        return 1.0 - chance_to_win(nc - xc, nc, nt - xt, nt)
    return chance_to_win(xc, nc, xt, nt)


def rate_stats(c: Counts, t: Counts, tuning_n: int) -> LiftStats:
    """A conversion rate: Fieller interval on the PLI, sequential interval, Bayes, p, MDE."""
    if c.visitors <= 0 or t.visitors <= 0:
        return LiftStats()
    xc, nc, xt, nt = c.conversions, c.visitors, t.conversions, t.visitors
    interval = relative_lift(xc, nc, xt, nt, alpha=ALPHA)
    sequential_lower = sequential_upper = p = None
    sequential_ready = False
    if nc >= 2 and nt >= 2:
        sequential = sequential_relative_lift(xc, nc, xt, nt, alpha=ALPHA, tuning_n=tuning_n)
        if sequential.interval_exists:
            sequential_lower = max(sequential.lower, -1.0)
            sequential_upper = sequential.upper
            sequential_ready = True
        if 0 < xc < nc and 0 < xt < nt:  # a rate of exactly 0 or 1 has no variance
            p = clean(proportion_ttest(xc, nc, xt, nt, alpha=ALPHA).p_value)
    mde = needed = None
    baseline = xc / nc
    if 0 < baseline < 1:
        mde = minimum_detectable_effect(nc, nt, baseline, alpha=ALPHA)
        if baseline * (1 + TARGET_PLI) < 1:
            needed = visitors_still_needed(baseline, TARGET_PLI, nc, nt, alpha=ALPHA)
    return LiftStats(
        lift=clean(interval.lift),
        lower=interval.lower if interval.interval_exists else None,
        upper=interval.upper if interval.interval_exists else None,
        interval_exists=interval.interval_exists,
        interval_method="fieller",
        sequential_lower=sequential_lower,
        sequential_upper=sequential_upper,
        sequential_ready=sequential_ready,
        chance_to_win=chance_to_win_either_way(xc, nc, xt, nt),
        p_value=p,
        mde=mde,
        visitors_still_needed=needed,
    )


def mean_stats(c: Counts, t: Counts, tuning_n: int) -> LiftStats:
    """A mean (seconds per visitor): Welch's t interval on the difference, and its sequence."""
    if c.visitors < 2 or t.visitors < 2:
        return LiftStats()
    test = welch_ttest(
        c.value_sum, c.value_sum_sq, c.visitors, t.value_sum, t.value_sum_sq, t.visitors, ALPHA
    )
    if finite_or_none(test.estimate) is None or finite_or_none(test.se) is None:
        return LiftStats()
    stats = LiftStats(
        lift=test.estimate,
        lower=test.lower,
        upper=test.upper,
        interval_exists=math.isfinite(test.lower) and math.isfinite(test.upper),
        interval_method="welch",
        p_value=clean(test.p_value),
    )
    if test.se > 0:
        sequence = confidence_sequence(
            test.estimate, test.se, c.visitors + t.visitors, alpha=ALPHA, tuning_n=tuning_n
        )
        stats = replace(
            stats,
            sequential_lower=sequence.lower,
            sequential_upper=sequence.upper,
            sequential_ready=True,
        )
    return stats


def compare(
    arm: str, segment: tuple[str, str], m: Metric, c: Counts, t: Counts, tuning_n: int
) -> Comparison:
    """``arm`` vs the control in one segment on metric ``m``."""
    s = mean_stats(c, t, tuning_n) if m.kind == "mean" else rate_stats(c, t, tuning_n)
    win = s.chance_to_win
    if m.lower_is_better and win is not None:
        win = 1.0 - win
    return Comparison(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=m.key,
        metric_label=m.label,
        kind=m.kind,
        lower_is_better=m.lower_is_better,
        control=c,
        treatment=t,
        control_value=c.value(m.kind),
        treatment_value=t.value(m.kind),
        lift=s.lift,
        lower=s.lower,
        upper=s.upper,
        interval_exists=s.interval_exists,
        interval_method=s.interval_method,
        sequential_lower=s.sequential_lower,
        sequential_upper=s.sequential_upper,
        sequential_ready=s.sequential_ready,
        chance_to_win=win,
        p_value=s.p_value,
        mde=s.mde,
        visitors_still_needed=s.visitors_still_needed,
    )


def with_pooling(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Attach the partially pooled PLI to each industry's rate comparison."""
    out = list(comparisons)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, comp in enumerate(out):
        if comp.is_pooled or comp.kind != "rate":
            continue
        if comp.control.visitors > 0 and comp.treatment.visitors > 0:
            groups[(comp.arm, comp.metric)].append(i)
    for indexes in groups.values():
        segments = [
            SegmentCounts(
                out[i].segment,
                out[i].control.conversions,
                out[i].control.visitors,
                out[i].treatment.conversions,
                out[i].treatment.visitors,
            )
            for i in indexes
        ]
        if not any(s.conversions_control + s.conversions_treatment for s in segments):
            continue
        pooling = pool_relative_lifts(segments, alpha=ALPHA)
        for i, pooled in zip(indexes, pooling.segments, strict=True):
            out[i] = replace(
                out[i],
                pooled_lift=pooled.lift,
                pooled_lower=pooled.lower,
                pooled_upper=pooled.upper,
                shrinkage=pooled.shrinkage,
            )
    return out


def with_fdr(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Benjamini-Hochberg over every industry × metric (× arm) test; pooled tests use p < α."""
    out = list(comparisons)
    family = [i for i, c in enumerate(out) if not c.is_pooled and c.p_value is not None]
    if family:
        result = benjamini_hochberg([out[i].p_value or 0.0 for i in family], q=ALPHA)
        for i, adjusted, rejected in zip(family, result.adjusted, result.rejected, strict=True):
            out[i] = replace(out[i], adjusted_p_value=adjusted, significant=rejected)
    for i, comp in enumerate(out):
        if comp.is_pooled and comp.p_value is not None:
            out[i] = replace(comp, significant=comp.p_value < ALPHA)
    return out


def verdict_numbers(c: Counts, t: Counts) -> VerdictNumbers | None:
    """The underperformance verdict (PLI below ``UNDERPERFORMING_BELOW``?); None without
    visitors in both arms."""
    if c.visitors <= 0 or t.visitors <= 0:
        return None
    v = underperformance_verdict(
        c.conversions,
        c.visitors,
        t.conversions,
        t.visitors,
        target=UNDERPERFORMING_BELOW,
        alpha=ALPHA,
    )
    return VerdictNumbers(
        status=v.status.value,
        lift=clean(v.lift),
        lower=finite_or_none(v.lower),
        upper=finite_or_none(v.upper),
        prob_below_target=v.prob_below_target,
        visitors_still_needed=v.visitors_still_needed,
    )


def variant_lift(control: Counts, treated: Counts) -> LiftStats:
    """The PLI of one variant's visitors with its Fieller interval (no other statistics)."""
    if control.visitors <= 0 or treated.visitors <= 0:
        return LiftStats()
    interval = relative_lift(
        control.conversions, control.visitors, treated.conversions, treated.visitors, alpha=ALPHA
    )
    exists = interval.interval_exists
    return LiftStats(
        lift=clean(interval.lift),
        lower=interval.lower if exists else None,
        upper=interval.upper if exists else None,
        interval_exists=exists,
        interval_method="fieller",
    )


def traffic_split(
    design: Design, visitors_by_arm: Mapping[str, int]
) -> tuple[tuple[ArmTraffic, ...], SRMResult | None]:
    """Visitors per arm against the configured weights, and the sample ratio mismatch test
    (None when there is nothing to test: the holdout is off, no visitors, one arm)."""
    arms = list(design.arms) + [
        ArmSpec(key, "", 0.0) for key in visitors_by_arm if design.arm(key) is None
    ]
    observed = [visitors_by_arm.get(a.key, 0) for a in arms]
    weights = [a.weight for a in arms]
    holdout_off = design.is_holdout and design.status == "off"
    if holdout_off or len(arms) < 2 or sum(observed) == 0 or sum(weights) <= 0:
        traffic = tuple(
            ArmTraffic(a.key, a.weight, o, 0.0) for a, o in zip(arms, observed, strict=True)
        )
        return traffic, None
    result = srm_test(observed, weights, threshold=SRM_THRESHOLD)
    traffic = tuple(
        ArmTraffic(a.key, a.weight, o, e)
        for a, o, e in zip(arms, observed, result.expected, strict=True)
    )
    return traffic, result


def cumulative_series(
    design: Design, arm: str, by_day: Mapping[date, Mapping[str, Counts]]
) -> Series:
    """Cumulative PLI by day of ``arm`` vs the control on the primary metric, with the
    fixed-horizon (Fieller) and always-valid (sequential) intervals of the running totals."""
    days = sorted(by_day)
    if not days:
        return Series(arm, design.primary_metric, ())
    xc = np.cumsum([by_day[d].get(design.control, Counts()).conversions for d in days])
    nc = np.cumsum([by_day[d].get(design.control, Counts()).visitors for d in days])
    xt = np.cumsum([by_day[d].get(arm, Counts()).conversions for d in days])
    nt = np.cumsum([by_day[d].get(arm, Counts()).visitors for d in days])
    fixed = fieller_interval_arrays(xc, nc, xt, nt, alpha=ALPHA)
    with np.errstate(divide="ignore", invalid="ignore"):
        sequential = sequential_relative_lift_arrays(
            xc, nc, xt, nt, alpha=ALPHA, tuning_n=design.tuning_n
        )
    points = []
    for i, day in enumerate(days):
        exists = bool(fixed.exists[i])
        ready = bool(sequential.exists[i])
        lift = float(fixed.lift[i])
        points.append(
            SeriesPoint(
                day=day,
                control_visitors=int(nc[i]),
                control_conversions=int(xc[i]),
                treatment_visitors=int(nt[i]),
                treatment_conversions=int(xt[i]),
                lift=lift if math.isfinite(lift) else None,
                lower=float(fixed.lower[i]) if exists else None,
                upper=float(fixed.upper[i]) if exists else None,
                sequential_lower=max(float(sequential.lower[i]), -1.0) if ready else None,
                sequential_upper=float(sequential.upper[i]) if ready else None,
            )
        )
    return Series(arm, design.primary_metric, tuple(points))
