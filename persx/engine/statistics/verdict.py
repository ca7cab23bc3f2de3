"""Is a personalized variant underperforming? Say so only when the evidence supports it.

docs/statistics.md: flag a variant as underperforming (PLI below a target, 10% by default) only when
a minimum sample is met **and** either the upper bound of its interval is below the target
or the posterior probability P(PLI < target) exceeds 0.8. Otherwise, unless the interval
lies entirely at or above the target, the answer is "insufficient data", together with the
visitors still needed: enough for 80% power to detect the target lift at the current
traffic split (and at least the minimum sample), so the dashboard never shows a bare
point estimate.

Choices (all parameters):
- the interval is the Fieller interval at ``confidence`` (0.90, two-sided; its upper end is
  a one-sided 95% bound, so a flag is conservative);
- P(PLI < target) is from Beta(1, 1) posteriors (:func:`prob_relative_lift_below`);
- the minimum sample is ``min_visitors_per_arm`` in each arm and at least one control
  conversion (without one there is no baseline to be relative to).

"Visitors still needed" plans for detecting the target lift itself; it can be 0 while the
verdict is still undecided, which means the true PLI is close to the target and more data
buys little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from persx.engine.statistics._checks import check_counts, check_probability
from persx.engine.statistics.bayes import prob_relative_lift_below
from persx.engine.statistics.lift import relative_lift
from persx.engine.statistics.power import visitors_still_needed

__all__ = ["Verdict", "VerdictStatus", "underperformance_verdict"]


class VerdictStatus(StrEnum):
    UNDERPERFORMING = "underperforming"
    NOT_UNDERPERFORMING = "not_underperforming"
    INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict with the numbers behind it.

    ``visitors_still_needed`` is 0 when the verdict is decided, and ``None`` when it cannot
    be computed (no control conversions and no ``baseline`` given).
    """

    status: VerdictStatus
    lift: float
    lower: float
    upper: float
    prob_below_target: float
    target: float
    sample_met: bool
    visitors_still_needed: int | None


def underperformance_verdict(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    target: float = 0.10,
    confidence: float = 0.90,
    probability: float = 0.8,
    min_visitors_per_arm: int = 1000,
    power: float = 0.8,
    alpha: float = 0.05,
    baseline: float | None = None,
) -> Verdict:
    """Decide whether PLI is credibly below ``target`` (see the module docstring).

    ``alpha`` and ``power`` size the "visitors still needed" (two-sided test of a
    ``target`` lift); ``baseline`` is the control rate to plan with when the control has no
    conversions yet (otherwise the observed control rate is used).
    """
    check_counts(conversions_control, visitors_control, "control")
    check_counts(conversions_treatment, visitors_treatment, "treatment")
    check_probability(confidence, "confidence")
    check_probability(probability, "probability")
    interval = relative_lift(
        conversions_control,
        visitors_control,
        conversions_treatment,
        visitors_treatment,
        alpha=1 - confidence,
    )
    prob_below = prob_relative_lift_below(
        conversions_control,
        visitors_control,
        conversions_treatment,
        visitors_treatment,
        target,
    )
    sample_met = (
        min(visitors_control, visitors_treatment) >= min_visitors_per_arm
        and conversions_control > 0
    )
    status = VerdictStatus.INSUFFICIENT_DATA
    if sample_met:
        if (interval.interval_exists and interval.upper < target) or prob_below > probability:
            status = VerdictStatus.UNDERPERFORMING
        elif interval.interval_exists and interval.lower >= target:
            status = VerdictStatus.NOT_UNDERPERFORMING
    needed: int | None = 0
    if status is VerdictStatus.INSUFFICIENT_DATA:
        needed = _still_needed(
            conversions_control,
            visitors_control,
            visitors_treatment,
            target,
            min_visitors_per_arm,
            alpha,
            power,
            baseline,
        )
    return Verdict(
        status=status,
        lift=interval.lift,
        lower=interval.lower,
        upper=interval.upper,
        prob_below_target=prob_below,
        target=target,
        sample_met=sample_met,
        visitors_still_needed=needed,
    )


def _still_needed(
    conversions_control: int,
    visitors_control: int,
    visitors_treatment: int,
    target: float,
    min_visitors_per_arm: int,
    alpha: float,
    power: float,
    baseline: float | None,
) -> int | None:
    rate = conversions_control / visitors_control if conversions_control else baseline
    if rate is None or not 0 < rate < 1 or not 0 < rate * (1 + target) < 1:
        return None
    current = visitors_control + visitors_treatment
    share = visitors_control / current if visitors_control and visitors_treatment else 0.5
    for_power = visitors_still_needed(
        rate, target, visitors_control, visitors_treatment, alpha, power, share
    )
    # Keeping the split, the smaller arm reaches the minimum at this many visitors in total.
    for_minimum = math.ceil(min_visitors_per_arm / min(share, 1 - share)) - current
    return max(for_power, for_minimum, 0)
