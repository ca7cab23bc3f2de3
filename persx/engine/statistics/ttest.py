"""Welch-style t-test on relative or absolute lift, from sufficient statistics.

The same computation as GrowthBook's frequentist engine (gbstats ``TwoSidedTTest``), so
numbers match what an analyst sees there:

- means: sample variance s² = (Σy² - (Σy)²/n) / (n - 1); proportions: p̂(1 - p̂);
- v = s²/n per arm; Welch-Satterthwaite degrees of freedom
  df = (v_C + v_T)² / (v_C²/(n_C - 1) + v_T²/(n_T - 1));
- absolute: Δ = μ_T - μ_C, SE = √(v_C + v_T);
- relative: Δ = μ_T/μ_C - 1, SE (delta method) = √(v_T/μ_C² + v_C·μ_T²/μ_C⁴);
- interval Δ ± t_{df, 1-alpha/2}·SE; two-sided p = 2·(1 - F_t(|Δ|/SE; df)).

Undefined quantities (control mean 0 for a relative test, n < 2) come out as NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import (
    FloatArray,
    as_float_array,
    check_alpha,
    check_counts,
    scalar,
)

__all__ = [
    "TTestArrays",
    "TTestResult",
    "proportion_ttest",
    "sample_variance",
    "welch_ttest",
    "welch_ttest_arrays",
]


@dataclass(frozen=True, slots=True)
class TTestResult:
    """Estimate (relative lift or absolute difference), its SE, interval and p-value."""

    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    df: float
    relative: bool
    alpha: float


@dataclass(frozen=True, slots=True)
class TTestArrays:
    """Element-wise results of :func:`welch_ttest_arrays`."""

    estimate: FloatArray
    se: FloatArray
    lower: FloatArray
    upper: FloatArray
    p_value: FloatArray
    df: FloatArray


def sample_variance(total: float, sum_of_squares: float, n: int) -> float:
    """Unbiased sample variance from Σy, Σy² and n (NaN when n < 2)."""
    if n < 2:
        return float("nan")
    return max((sum_of_squares - total * total / n) / (n - 1), 0.0)


def welch_ttest_arrays(
    mean_c: npt.ArrayLike,
    var_c: npt.ArrayLike,
    n_c: npt.ArrayLike,
    mean_t: npt.ArrayLike,
    var_t: npt.ArrayLike,
    n_t: npt.ArrayLike,
    alpha: float = 0.05,
    relative: bool = True,
) -> TTestArrays:
    """Welch t-test, element-wise over arrays of per-arm means, variances and sizes."""
    check_alpha(alpha)
    mc, sc, nc, mt, st, nt = np.broadcast_arrays(
        as_float_array(mean_c),
        as_float_array(var_c),
        as_float_array(n_c),
        as_float_array(mean_t),
        as_float_array(var_t),
        as_float_array(n_t),
    )
    from scipy import stats as _sps  # imported when used (persx.engine.statistics._checks)

    with np.errstate(divide="ignore", invalid="ignore"):
        vc = sc / nc
        vt = st / nt
        df = (vc + vt) ** 2 / (vc * vc / (nc - 1) + vt * vt / (nt - 1))
        if relative:
            estimate = mt / mc - 1
            se = np.sqrt(vt / (mc * mc) + vc * mt * mt / mc**4)
        else:
            estimate = mt - mc
            se = np.sqrt(vc + vt)
        t_crit = np.asarray(_sps.t.ppf(1 - alpha / 2, df), dtype=np.float64)
        p_value = np.asarray(2 * _sps.t.sf(np.abs(estimate / se), df), dtype=np.float64)
        lower = estimate - t_crit * se
        upper = estimate + t_crit * se
    return TTestArrays(estimate=estimate, se=se, lower=lower, upper=upper, p_value=p_value, df=df)


def _result(arrays: TTestArrays, relative: bool, alpha: float) -> TTestResult:
    return TTestResult(
        estimate=scalar(arrays.estimate),
        se=scalar(arrays.se),
        lower=scalar(arrays.lower),
        upper=scalar(arrays.upper),
        p_value=scalar(arrays.p_value),
        df=scalar(arrays.df),
        relative=relative,
        alpha=alpha,
    )


def welch_ttest(
    sum_c: float,
    sum_squares_c: float,
    n_c: int,
    sum_t: float,
    sum_squares_t: float,
    n_t: int,
    alpha: float = 0.05,
    relative: bool = True,
) -> TTestResult:
    """Welch t-test of a mean metric from per-arm Σy, Σy² and n.

    ``relative=True`` tests the relative lift μ_T/μ_C - 1, otherwise the difference.
    Reference (docs/statistics.md): C (1396.87, 52377.9767, 3407) vs T (2422.7, 134698.29, 3461) →
    relative 0.70732, SE 0.37879, CI [-0.03526, 1.44989], p 0.06191.
    """
    if n_c < 2 or n_t < 2:
        raise ValueError("each arm needs at least two observations")
    arrays = welch_ttest_arrays(
        sum_c / n_c,
        sample_variance(sum_c, sum_squares_c, n_c),
        n_c,
        sum_t / n_t,
        sample_variance(sum_t, sum_squares_t, n_t),
        n_t,
        alpha,
        relative,
    )
    return _result(arrays, relative, alpha)


def proportion_ttest(
    conversions_control: int,
    visitors_control: int,
    conversions_treatment: int,
    visitors_treatment: int,
    alpha: float = 0.05,
    relative: bool = True,
) -> TTestResult:
    """Welch t-test of a conversion rate (variance p̂(1 - p̂), as GrowthBook does).

    Reference (docs/statistics.md): 14/28 vs 16/30 → lift 0.06667, SE 0.27170,
    CI [-0.47767, 0.61101], p 0.80707.
    """
    check_counts(conversions_control, visitors_control, "control")
    check_counts(conversions_treatment, visitors_treatment, "treatment")
    if visitors_control < 2 or visitors_treatment < 2:
        raise ValueError("each arm needs at least two visitors")
    pc = conversions_control / visitors_control
    pt = conversions_treatment / visitors_treatment
    arrays = welch_ttest_arrays(
        pc,
        pc * (1 - pc),
        visitors_control,
        pt,
        pt * (1 - pt),
        visitors_treatment,
        alpha,
        relative,
    )
    return _result(arrays, relative, alpha)
