"""Sample sizes, minimum detectable effects and holdout sizing for conversion rates.

Two-sided test at level alpha with power 1 - β, z = z_{1-alpha/2} + z_{1-β}; lifts are relative
(p_T = p_C·(1 + lift)).

- n per arm (equal arms) = z²·[p_C(1-p_C) + p_T(1-p_T)] / (p_T - p_C)², rounded **up**
  (``ceil``: the only convention that reproduces every cell of the table in
  docs/statistics.md, e.g. 3% → 3.45% needs 24,190 per arm).
- Unequal arms (control share s of N visitors): N = z²·[p_C(1-p_C)/s + p_T(1-p_T)/(1-s)] /
  (p_T - p_C)².
- MDE given n_C, n_T: the lift δ solving z²·[p_C(1-p_C)/n_C + p_T(1-p_T)/n_T] =
  (p_T - p_C)² (``variance="unpooled"``, the exact inverse of the sample-size formula), or
  the common quick formula δ = z·√(p_C(1-p_C)(1/n_C + 1/n_T)) / p_C with both arms'
  variance taken at the baseline (``variance="baseline"``).
"""

from __future__ import annotations

import math
from typing import Literal

from persx.engine.statistics._checks import check_alpha, check_probability, z_one_sided, z_two_sided

__all__ = [
    "MdeVariance",
    "holdout_mde",
    "minimum_detectable_effect",
    "sample_size_per_arm",
    "total_sample_size",
    "visitors_still_needed",
]

MdeVariance = Literal["unpooled", "baseline"]


def _z_total(alpha: float, power: float) -> float:
    check_alpha(alpha)
    check_probability(power, "power")
    return z_two_sided(alpha) + z_one_sided(power)


def _rates(baseline: float, relative_lift: float) -> tuple[float, float]:
    check_probability(baseline, "baseline")
    if relative_lift == 0:
        raise ValueError("relative_lift must not be 0 (no sample size detects no effect)")
    treated = baseline * (1 + relative_lift)
    if not 0 < treated < 1:
        raise ValueError(f"baseline * (1 + lift) must be in (0, 1), got {treated}")
    return baseline, treated


def _total_unrounded(
    baseline: float, relative_lift: float, control_share: float, alpha: float, power: float
) -> float:
    check_probability(control_share, "control_share")
    p_c, p_t = _rates(baseline, relative_lift)
    z = _z_total(alpha, power)
    variance = p_c * (1 - p_c) / control_share + p_t * (1 - p_t) / (1 - control_share)
    return z * z * variance / (p_t - p_c) ** 2


def sample_size_per_arm(
    baseline: float, relative_lift: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Visitors needed in *each* of two equal arms to detect ``relative_lift``.

    >>> sample_size_per_arm(0.03, 0.15)
    24190
    """
    p_c, p_t = _rates(baseline, relative_lift)
    z = _z_total(alpha, power)
    n = z * z * (p_c * (1 - p_c) + p_t * (1 - p_t)) / (p_t - p_c) ** 2
    return math.ceil(n)


def total_sample_size(
    baseline: float,
    relative_lift: float,
    control_share: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
) -> int:
    """Total visitors (both arms) to detect ``relative_lift`` when the control gets
    ``control_share`` of them (e.g. 0.1 for a 10% holdout)."""
    return math.ceil(_total_unrounded(baseline, relative_lift, control_share, alpha, power))


def minimum_detectable_effect(
    n_control: float,
    n_treatment: float,
    baseline: float,
    alpha: float = 0.05,
    power: float = 0.8,
    variance: MdeVariance = "unpooled",
) -> float:
    """Smallest positive relative lift detectable with ``n_control`` / ``n_treatment`` visitors.

    Returns ``inf`` when even p_T = 1 would not be detectable.
    """
    check_probability(baseline, "baseline")
    if n_control <= 0 or n_treatment <= 0:
        raise ValueError("both arms need visitors")
    z = _z_total(alpha, power)
    p = baseline
    if variance == "baseline":
        return z * math.sqrt(p * (1 - p) * (1 / n_control + 1 / n_treatment)) / p
    k_c = z * z / n_control
    k_t = z * z / n_treatment
    # (1 + k_t)·p_T² - (2p + k_t)·p_T + p² - k_c·p(1 - p) = 0; the root above p.
    a = 1 + k_t
    b = -(2 * p + k_t)
    c = p * p - k_c * p * (1 - p)
    p_t = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    if p_t >= 1:
        return math.inf
    return p_t / p - 1


def visitors_still_needed(
    baseline: float,
    relative_lift: float,
    visitors_control: int,
    visitors_treatment: int,
    alpha: float = 0.05,
    power: float = 0.8,
    control_share: float | None = None,
) -> int:
    """More visitors (both arms together) needed to detect ``relative_lift``; 0 when enough.

    Traffic is assumed to keep its current split (``control_share`` overrides it; with no
    visitors yet the split is 50/50).
    """
    if visitors_control < 0 or visitors_treatment < 0:
        raise ValueError("visitor counts must be non-negative")
    current = visitors_control + visitors_treatment
    if control_share is None:
        control_share = (
            visitors_control / current if visitors_control and visitors_treatment else 0.5
        )
    needed = math.ceil(_total_unrounded(baseline, relative_lift, control_share, alpha, power))
    return max(0, needed - current)


def holdout_mde(
    monthly_visitors: float,
    baseline: float,
    holdout_share: float,
    months: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    variance: MdeVariance = "baseline",
) -> float:
    """Relative MDE of "everyone else vs a global holdout" after ``months`` of traffic.

    Assumptions: the holdout (share ``holdout_share`` of ``monthly_visitors``) is the control
    at the ``baseline`` rate, every other visitor is treated, visitors are independent (no
    repeat visits), two-sided alpha, power 1 - β, and, by default, both arms' variance taken
    at the baseline rate (``variance="baseline"``). That reproduces docs/statistics.md: 20k
    visitors/month at 3%: 10% holdout → 37.5% after 1 month and 21.7% after 3; 20% →
    28.2% / 16.3% (printed there rounded: 38/22, 28/16). The exact inverse of the
    sample-size formula (``variance="unpooled"``, counting the treated arm's higher rate)
    gives 38.2/21.9 and 28.9/16.5%, about half a point more.
    """
    check_probability(holdout_share, "holdout_share")
    if monthly_visitors <= 0 or months <= 0:
        raise ValueError("monthly_visitors and months must be positive")
    total = monthly_visitors * months
    return minimum_detectable_effect(
        total * holdout_share, total * (1 - holdout_share), baseline, alpha, power, variance
    )
