"""Account-level (cluster-aware) inference for a ratio of means (docs/statistics.md).

Visitors of one account behave alike, so visitor-level intervals (``lift.py``, which treat
every visitor as independent) are too narrow when accounts hold several visitors. Here the
independent unit is the account: per arm, the metric is the ratio of means
r = ΣY_i / ΣN_i (conversions or value per visitor) over k accounts, and its variance comes
from the delta method on the account sums (Deng, Lu and Litz 2018, "Applying the delta
method in metric analytics"):

    Var(r̂) = Σ(Y_i − r·N_i)² · k / ((k − 1)·(ΣN_i)²)
           = [s²_Y − 2r·s_YN + r²·s²_N] / (k·N̄²),

with s² the sample (co)variances of the account totals and N̄ = ΣN_i / k. The sum of
squared residuals expands into the sufficient statistics:
Σ(Y_i − r·N_i)² = ΣY² − 2r·ΣNY + r²·ΣN².

Between arms (independent samples of accounts), with z = Φ⁻¹(1 − alpha/2):

- relative lift PLI = R − 1 with R = r_T / r_C. The headline interval is **Fieller's**, as
  for visitor-level counts (``lift.py``), with the account-level variances in place of
  p̂(1 − p̂)/n: g = z²·Var_C / r_C²; bounds [R ± (z/r_C)·√(Var_T(1 − g) + R²·Var_C)] / (1 − g)
  − 1, bounded only while g < 1 (otherwise (−∞, +∞), ``interval_exists`` False). The
  symmetric delta-method interval PLI ± z·SE, SE² = Var_T / r_C² + r_T²·Var_C / r_C⁴, is
  kept beside it: large accounts skew the ratio, which a symmetric interval does not
  follow (the calibration test measures 93.3–93.9% A/A coverage where Fieller's holds
  94.6–95.1%);
- absolute difference r_T − r_C, SE² = Var_T + Var_C, interval ± z·SE, and the two-sided
  z-test p-value of r_T = r_C (equivalently PLI = 0).

When every account has one visitor and the outcome is 0/1, Var(r̂) = p̂(1 − p̂)/(n − 1),
the visitor-level variance up to the factor n/(n − 1). Undefined quantities (a control
ratio of 0 for the lift, fewer than two accounts in the vectorised core) come out as NaN
or ±∞. The lower bound is not clipped at −1: a CUPED-adjusted ratio need not be positive.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persx.engine.statistics._checks import (
    BoolArray,
    FloatArray,
    check_alpha,
    scalar,
    z_two_sided,
)
from persx.engine.statistics.account_sums import AccountSums, check_account_sums

__all__ = [
    "ClusteredLift",
    "ComparisonArrays",
    "RatioArrays",
    "clustered_lift",
    "compare_ratios_arrays",
    "ratio_of_means_arrays",
]


@dataclass(frozen=True, slots=True)
class RatioArrays:
    """Per-arm ratio of means r̂ and its delta-method variance, element-wise."""

    ratio: FloatArray
    variance: FloatArray


@dataclass(frozen=True, slots=True)
class ComparisonArrays:
    """Relative lift and absolute difference of two arms' ratios, element-wise."""

    lift: FloatArray
    lift_se: FloatArray
    lift_lower: FloatArray
    lift_upper: FloatArray
    interval_exists: BoolArray
    delta_lower: FloatArray
    delta_upper: FloatArray
    difference: FloatArray
    difference_se: FloatArray
    difference_lower: FloatArray
    difference_upper: FloatArray
    p_value: FloatArray


@dataclass(frozen=True, slots=True)
class ClusteredLift:
    """Account-level comparison of two arms: each arm's ratio of means and its variance,
    the relative lift (PLI; Fieller interval, and the delta-method one for comparison) and
    the absolute difference, with ``1 - alpha`` intervals; ``p_value`` tests r_T = r_C.
    When ``interval_exists`` is False the lift's bounds are (-∞, +∞)."""

    ratio_control: float
    ratio_treatment: float
    variance_control: float
    variance_treatment: float
    lift: float
    lift_se: float
    lift_lower: float
    lift_upper: float
    interval_exists: bool
    delta_lower: float
    delta_upper: float
    difference: float
    difference_se: float
    difference_lower: float
    difference_upper: float
    p_value: float
    alpha: float

    def contains_lift(self, value: float) -> bool:
        """True when ``value`` lies within the lift's closed (Fieller) interval."""
        return self.lift_lower <= value <= self.lift_upper


def ratio_of_means_arrays(sums: AccountSums) -> RatioArrays:
    """r̂ = ΣY/ΣN and Var(r̂) by the delta method over accounts, element-wise."""
    k, n, y, nn, yy, ny, *_ = sums.arrays()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y / n
        residual_ss = np.maximum(yy - 2 * ratio * ny + ratio * ratio * nn, 0.0)
        variance = residual_ss * k / ((k - 1) * n * n)
    return RatioArrays(ratio=ratio, variance=variance)


def compare_ratios_arrays(
    control: RatioArrays, treatment: RatioArrays, alpha: float = 0.05
) -> ComparisonArrays:
    """Relative lift (Fieller and delta intervals) and absolute difference of two
    independent ratio estimates, with the z-test p-value of r_T = r_C, element-wise."""
    z = z_two_sided(alpha)
    rc, vc = control.ratio, control.variance
    rt, vt = treatment.ratio, treatment.variance
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rt / rc
        lift = ratio - 1
        lift_se = np.sqrt(vt / (rc * rc) + rt * rt * vc / rc**4)
        g = z * z * vc / (rc * rc)
        half = (z / np.abs(rc)) * np.sqrt(np.maximum(vt * (1 - g) + ratio * ratio * vc, 0.0))
        exists: BoolArray = (g < 1) & (vc > 0) & (vt > 0)
        difference = rt - rc
        difference_se = np.sqrt(vt + vc)
        from scipy import stats as _sps  # imported when used (persx.engine.statistics._checks)

        p_value = np.asarray(2 * _sps.norm.sf(np.abs(difference / difference_se)))
        return ComparisonArrays(
            lift=lift,
            lift_se=lift_se,
            lift_lower=np.where(exists, (ratio - half) / (1 - g) - 1, -np.inf),
            lift_upper=np.where(exists, (ratio + half) / (1 - g) - 1, np.inf),
            interval_exists=exists,
            delta_lower=lift - z * lift_se,
            delta_upper=lift + z * lift_se,
            difference=difference,
            difference_se=difference_se,
            difference_lower=difference - z * difference_se,
            difference_upper=difference + z * difference_se,
            p_value=p_value.astype(np.float64),
        )


def comparison_result(control: RatioArrays, treatment: RatioArrays, alpha: float) -> ClusteredLift:
    """The scalar result of one comparison (shared with :mod:`.regression_adjustment`)."""
    c = compare_ratios_arrays(control, treatment, alpha)
    return ClusteredLift(
        ratio_control=scalar(control.ratio),
        ratio_treatment=scalar(treatment.ratio),
        variance_control=scalar(control.variance),
        variance_treatment=scalar(treatment.variance),
        lift=scalar(c.lift),
        lift_se=scalar(c.lift_se),
        lift_lower=scalar(c.lift_lower),
        lift_upper=scalar(c.lift_upper),
        interval_exists=bool(c.interval_exists.reshape(-1)[0]),
        delta_lower=scalar(c.delta_lower),
        delta_upper=scalar(c.delta_upper),
        difference=scalar(c.difference),
        difference_se=scalar(c.difference_se),
        difference_lower=scalar(c.difference_lower),
        difference_upper=scalar(c.difference_upper),
        p_value=scalar(c.p_value),
        alpha=alpha,
    )


def clustered_lift(
    control: AccountSums, treatment: AccountSums, alpha: float = 0.05
) -> ClusteredLift:
    """Account-level PLI and difference of a ratio-of-means metric, from per-arm sums.

    Reference (docs/statistics.md, worked example): control accounts (N, Y) = (1, 0),
    (2, 1), (3, 1), (4, 2); treatment (1, 1), (2, 1), (3, 2), (2, 1) →
    r_C = 0.4, r_T = 0.625, Var_C = 0.4·4/(3·10²) = 1/187.5, Var_T = 0.28125·4/(3·8²) =
    3/512, lift 0.5625.
    """
    check_alpha(alpha)
    check_account_sums(control, "control")
    check_account_sums(treatment, "treatment")
    return comparison_result(
        ratio_of_means_arrays(control), ratio_of_means_arrays(treatment), alpha
    )
