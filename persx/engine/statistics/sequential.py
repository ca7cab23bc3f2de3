"""Asymptotic confidence sequences: intervals that stay valid when read every day.

GrowthBook's sequential testing (Howard et al. 2021, "Time-uniform, nonparametric,
nonasymptotic confidence sequences"; Waudby-Smith et al. 2023, "Anytime-valid off-policy
inference"). With a tuning constant N* (the sample size at which the sequence is
tightest, fixed per experiment before it starts):

- rho = √((-2 ln alpha + ln(1 - 2 ln alpha)) / N*);
- N = n_C + n_T; s² = SE²·N (SE of the fixed-horizon estimate);
- half-width = s·√(2(N·rho² + 1)·ln(√(N·rho² + 1)/alpha) / (N·rho)²).

The sequence is wider than the fixed-horizon interval at every N, and its miscoverage
over *all* looks together is (asymptotically) at most alpha. "Asymptotically" matters at
B2B rates: with only a handful of conversions per arm the approximation is
anti-conservative, so :func:`sequential_relative_lift` withholds the sequence until each
arm has ``min_conversions`` (default 30) conversions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import (
    BoolArray,
    FloatArray,
    as_float_array,
    check_alpha,
    check_counts,
    scalar,
)
from persx.engine.statistics.ttest import welch_ttest_arrays

__all__ = [
    "DEFAULT_MIN_CONVERSIONS",
    "DEFAULT_TUNING_N",
    "SequentialInterval",
    "SequentialLift",
    "SequentialLiftArrays",
    "confidence_sequence",
    "confidence_sequence_halfwidth_arrays",
    "sequential_relative_lift",
    "sequential_relative_lift_arrays",
]

DEFAULT_TUNING_N = 5000
DEFAULT_MIN_CONVERSIONS = 30


@dataclass(frozen=True, slots=True)
class SequentialInterval:
    """An always-valid ``1 - alpha`` interval around ``estimate``."""

    estimate: float
    lower: float
    upper: float
    alpha: float
    tuning_n: float


@dataclass(frozen=True, slots=True)
class SequentialLift:
    """Relative lift of two rates with its confidence sequence and fixed-horizon interval.

    ``interval_exists`` is False (sequence bounds -inf, +inf) until each arm has
    ``min_conversions`` conversions; the fixed-horizon bounds are always given.
    """

    lift: float
    se: float
    lower: float
    upper: float
    interval_exists: bool
    fixed_lower: float
    fixed_upper: float
    alpha: float
    tuning_n: float


@dataclass(frozen=True, slots=True)
class SequentialLiftArrays:
    """Element-wise results of :func:`sequential_relative_lift_arrays`."""

    lift: FloatArray
    se: FloatArray
    lower: FloatArray
    upper: FloatArray
    exists: BoolArray
    fixed_lower: FloatArray
    fixed_upper: FloatArray


def _rho(alpha: float, tuning_n: float) -> float:
    check_alpha(alpha)
    if tuning_n <= 0:
        raise ValueError(f"tuning_n must be positive, got {tuning_n}")
    log_alpha = math.log(alpha)
    return math.sqrt((-2 * log_alpha + math.log(1 - 2 * log_alpha)) / tuning_n)


def confidence_sequence_halfwidth_arrays(
    se: npt.ArrayLike,
    n_total: npt.ArrayLike,
    alpha: float = 0.05,
    tuning_n: float = DEFAULT_TUNING_N,
) -> FloatArray:
    """Half-widths of the asymptotic confidence sequence, element-wise."""
    rho = _rho(alpha, tuning_n)
    se_arr, n_arr = np.broadcast_arrays(as_float_array(se), as_float_array(n_total))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_rho2 = n_arr * rho * rho
        s = se_arr * np.sqrt(n_arr)
        width: FloatArray = s * np.sqrt(
            2 * (n_rho2 + 1) * np.log(np.sqrt(n_rho2 + 1) / alpha) / (n_arr * rho) ** 2
        )
    return width


def confidence_sequence(
    estimate: float,
    se: float,
    n_total: int,
    alpha: float = 0.05,
    tuning_n: float = DEFAULT_TUNING_N,
) -> SequentialInterval:
    """The always-valid interval for any estimate with fixed-horizon standard error ``se``
    after ``n_total`` units (both arms together)."""
    half = scalar(confidence_sequence_halfwidth_arrays(se, n_total, alpha, tuning_n))
    return SequentialInterval(estimate, estimate - half, estimate + half, alpha, tuning_n)


def sequential_relative_lift_arrays(
    x_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    x_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: float = 0.05,
    tuning_n: float = DEFAULT_TUNING_N,
    min_conversions: int = DEFAULT_MIN_CONVERSIONS,
) -> SequentialLiftArrays:
    """:func:`sequential_relative_lift`, element-wise over arrays of counts."""
    xc, nc, xt, nt = np.broadcast_arrays(
        as_float_array(x_c), as_float_array(n_c), as_float_array(x_t), as_float_array(n_t)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pc = xc / nc
        pt = xt / nt
    fixed = welch_ttest_arrays(pc, pc * (1 - pc), nc, pt, pt * (1 - pt), nt, alpha, relative=True)
    half = confidence_sequence_halfwidth_arrays(fixed.se, nc + nt, alpha, tuning_n)
    exists: BoolArray = (np.minimum(xc, xt) >= max(min_conversions, 1)) & np.isfinite(half)
    with np.errstate(invalid="ignore"):
        lower = np.where(exists, fixed.estimate - half, -np.inf)
        upper = np.where(exists, fixed.estimate + half, np.inf)
    return SequentialLiftArrays(
        lift=fixed.estimate,
        se=fixed.se,
        lower=lower,
        upper=upper,
        exists=exists,
        fixed_lower=fixed.lower,
        fixed_upper=fixed.upper,
    )


def sequential_relative_lift(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    alpha: float = 0.05,
    tuning_n: float = DEFAULT_TUNING_N,
    min_conversions: int = DEFAULT_MIN_CONVERSIONS,
) -> SequentialLift:
    """Relative lift of two conversion rates with its confidence sequence.

    The SE is GrowthBook's (delta method, variance p(1 - p) per arm), and so is the
    fixed-horizon interval (Welch t). Reference (docs/statistics.md): 1396/3000 vs 2422/3461,
    alpha = 0.05, N* = 5000 → lift 0.50386, SE 0.03386, sequence [0.40098, 0.60675]
    (fixed horizon [0.4375, 0.5702]).

    The sequence is reported only once each arm has ``min_conversions`` conversions: the
    asymptotic approximation is anti-conservative before that (daily looks from the first
    day at 3% and 300 visitors/arm/day gave 6-8% false positives in simulation, 3-4%
    with the default gate of 30).
    """
    check_counts(conversions_control, visitors_control, "control")
    check_counts(conversions_treatment, visitors_treatment, "treatment")
    if visitors_control < 2 or visitors_treatment < 2:
        raise ValueError("each arm needs at least two visitors")
    arrays = sequential_relative_lift_arrays(
        conversions_control,
        visitors_control,
        conversions_treatment,
        visitors_treatment,
        alpha,
        tuning_n,
        min_conversions,
    )
    return SequentialLift(
        lift=scalar(arrays.lift),
        se=scalar(arrays.se),
        lower=scalar(arrays.lower),
        upper=scalar(arrays.upper),
        interval_exists=bool(arrays.exists.reshape(-1)[0]),
        fixed_lower=scalar(arrays.fixed_lower),
        fixed_upper=scalar(arrays.fixed_upper),
        alpha=alpha,
        tuning_n=tuning_n,
    )
