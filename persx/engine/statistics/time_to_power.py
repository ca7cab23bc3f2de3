"""When will we know: days of traffic until an experiment has its power (docs/statistics.md).

From :mod:`.power`: the total visitors N needed to detect ``relative_lift`` at the current
split (control share s) is z²·[p_C(1 − p_C)/s + p_T(1 − p_T)/(1 − s)] / (p_T − p_C)².
Regression adjustment that removes a share ρ² of the variance needs N·(1 − ρ²) visitors
(``variance_factor`` = 1 − ρ², 1 without adjustment). At ``daily_visitors`` a day, the
visitors still missing take

    days = max(0, ⌈N·factor⌉ − n_C − n_T) / daily_visitors

and the smallest lift detectable after ``days`` more days is the MDE of :mod:`.power` at
the arms' visitors then, each divided by ``factor`` (an adjusted visitor counts as
1/factor unadjusted ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from persx.engine.statistics.power import minimum_detectable_effect, total_sample_size

__all__ = ["TimeToPower", "time_to_power"]


@dataclass(frozen=True, slots=True)
class TimeToPower:
    """Visitors needed in total (both arms, adjusted), still missing, days of traffic to
    get them (``inf`` without traffic, 0 when already there), and the smallest relative
    lift detectable after ``horizon_days`` more days."""

    visitors_needed: int
    visitors_missing: int
    days: float
    mde_at_horizon: float
    horizon_days: float


def _check(value: float, name: str) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative number, got {value}")


def time_to_power(
    baseline: float,
    relative_lift: float,
    visitors_control: int,
    visitors_treatment: int,
    daily_visitors: float,
    horizon_days: float,
    variance_factor: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> TimeToPower:
    """Days until ``relative_lift`` is detectable with ``power`` at ``daily_visitors`` a day
    (split as now; 50/50 without visitors), and the MDE after ``horizon_days`` more days.

    Reference (docs/statistics.md, power table): 3% baseline, +15%, no visitors yet, 1,000
    a day → 48,380 visitors, 48.38 days.

    >>> t = time_to_power(0.03, 0.15, 0, 0, 1000, 30)
    >>> (t.visitors_needed, t.days)
    (48380, 48.38)
    """
    for value, name in (
        (visitors_control, "visitors_control"),
        (visitors_treatment, "visitors_treatment"),
        (daily_visitors, "daily_visitors"),
        (horizon_days, "horizon_days"),
    ):
        _check(value, name)
    if not 0 < variance_factor <= 1:
        raise ValueError(f"variance_factor must be in (0, 1], got {variance_factor}")
    current = visitors_control + visitors_treatment
    share = visitors_control / current if visitors_control and visitors_treatment else 0.5
    total = total_sample_size(baseline, relative_lift, share, alpha, power)
    needed = math.ceil(total * variance_factor)
    missing = max(0, needed - current)
    if missing == 0:
        days = 0.0
    elif daily_visitors > 0:
        days = missing / daily_visitors
    else:
        days = math.inf
    later = horizon_days * daily_visitors
    n_c = (visitors_control + later * share) / variance_factor
    n_t = (visitors_treatment + later * (1 - share)) / variance_factor
    mde = (
        minimum_detectable_effect(n_c, n_t, baseline, alpha, power)
        if n_c > 0 and n_t > 0
        else math.inf
    )
    return TimeToPower(
        visitors_needed=needed,
        visitors_missing=missing,
        days=days,
        mde_at_horizon=mde,
        horizon_days=horizon_days,
    )
