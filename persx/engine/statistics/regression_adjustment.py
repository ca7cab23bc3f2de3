"""Regression adjustment with a pre-exposure covariate (CUPED), at account or visitor level.

docs/statistics.md. Deng, Xu, Kohavi and Walker (2013), "Improving the sensitivity of
online controlled experiments by utilizing pre-experiment data": subtracting θ times a
covariate that the treatment cannot have moved leaves the expected difference between arms
unchanged and, at the best θ, removes the share ρ² of its variance (ρ the correlation of
metric and covariate). Applied to a ratio of means through its delta-method linearisation
(as Deng, Lu and Litz 2018 do for ratio metrics), it works for account-level data:

- metric r̂ = ΣY/ΣN and covariate q̂ = ΣX/ΣN per arm (X: the same visitors' pre-exposure
  engagement, so q̂ is pre-exposure engagement per visitor);
- per arm, from the account sums (:mod:`.account_sums`), with residuals
  u_i = Y_i − r·N_i and w_i = X_i − q·N_i and c = k / ((k − 1)·(ΣN)²):
  Var(r̂) = c·Σu², Var(q̂) = c·Σw², Cov(r̂, q̂) = c·Σuw, where
  Σuw = ΣXY − r·ΣNX − q·ΣNY + r·q·ΣN² (and likewise Σu², Σw²);
- θ = (Cov_C + Cov_T) / (Var(q̂_C) + Var(q̂_T)), pooled over both arms: the θ that
  minimises the variance of the adjusted difference (0 when the covariate does not vary);
- adjusted r̃ = r̂ − θ·(q̂ − q̄) with q̄ = ΣX / ΣN over both arms, and
  Var(r̃) = Var(r̂) − 2θ·Cov(r̂, q̂) + θ²·Var(q̂);
- the adjusted lift and difference then follow :mod:`.clustered` (delta method, normal
  intervals). θ and q̄ are treated as known, as in the papers: their estimation error is
  of a smaller order.

With every N_i = 1 this is visitor-level CUPED: θ is the pooled within-arm regression slope
of the metric on the covariate. The result keeps the unadjusted comparison beside the
adjusted one, reports the variance reduction achieved (1 − Var_adjusted / Var_unadjusted of
the lift and of the difference), flags adjusted and unadjusted lifts of opposite sign, and
runs a pre-exposure balance test: q̂_T − q̂_C over √(Var(q̂_T) + Var(q̂_C)) as a z statistic,
flagged when p < ``balance_threshold`` (0.001 by default, as for sample ratio mismatch: a
flag means the randomisation, not chance, is the likely cause; chance imbalance is what the
adjustment corrects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persx.engine.statistics._checks import (
    BoolArray,
    FloatArray,
    check_alpha,
    check_probability,
    scalar,
)
from persx.engine.statistics.account_sums import AccountSums, check_account_sums
from persx.engine.statistics.clustered import (
    ClusteredLift,
    ComparisonArrays,
    RatioArrays,
    compare_ratios_arrays,
    comparison_result,
    ratio_of_means_arrays,
)

__all__ = [
    "BALANCE_THRESHOLD",
    "AdjustedArrays",
    "AdjustedLift",
    "BalanceCheck",
    "adjusted_lift",
    "adjusted_lift_arrays",
]

BALANCE_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class _ArmMoments:
    metric: RatioArrays
    covariate: RatioArrays
    covariance: FloatArray


@dataclass(frozen=True, slots=True)
class AdjustedArrays:
    """Element-wise results of :func:`adjusted_lift_arrays`."""

    unadjusted: ComparisonArrays
    adjusted: ComparisonArrays
    theta: FloatArray
    lift_variance_reduction: FloatArray
    difference_variance_reduction: FloatArray
    signs_disagree: BoolArray
    balance_difference: FloatArray
    balance_se: FloatArray
    balance_p_value: FloatArray


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    """Pre-exposure balance: the covariate per visitor in each arm, their difference, its
    SE and z-test p-value; ``imbalanced`` when p < ``threshold``."""

    covariate_control: float
    covariate_treatment: float
    difference: float
    se: float
    p_value: float
    threshold: float
    imbalanced: bool


@dataclass(frozen=True, slots=True)
class AdjustedLift:
    """Unadjusted and CUPED-adjusted comparisons side by side, with the trust checks."""

    unadjusted: ClusteredLift
    adjusted: ClusteredLift
    theta: float
    lift_variance_reduction: float
    difference_variance_reduction: float
    signs_disagree: bool
    balance: BalanceCheck


def _moments(sums: AccountSums) -> _ArmMoments:
    k, n, _, nn, _, ny, x, xx, nx, xy = sums.arrays()
    metric = ratio_of_means_arrays(sums)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = k / ((k - 1) * n * n)
        r = metric.ratio
        q = x / n
        covariate_variance = np.maximum(xx - 2 * q * nx + q * q * nn, 0.0) * scale
        covariance = (xy - r * nx - q * ny + r * q * nn) * scale
    return _ArmMoments(
        metric=metric,
        covariate=RatioArrays(ratio=q, variance=covariate_variance),
        covariance=covariance,
    )


@dataclass(frozen=True, slots=True)
class _Adjustment:
    control: _ArmMoments
    treatment: _ArmMoments
    theta: FloatArray
    adjusted_control: RatioArrays
    adjusted_treatment: RatioArrays


def _adjust(control: AccountSums, treatment: AccountSums) -> _Adjustment:
    mc, mt = _moments(control), _moments(treatment)
    _, n_c, _, _, _, _, x_c, *_ = control.arrays()
    _, n_t, _, _, _, _, x_t, *_ = treatment.arrays()
    covariate_variance = mc.covariate.variance + mt.covariate.variance
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(
            covariate_variance > 0, (mc.covariance + mt.covariance) / covariate_variance, 0.0
        )
        pooled_covariate = (x_c + x_t) / (n_c + n_t)

    def adjusted(arm: _ArmMoments) -> RatioArrays:
        return RatioArrays(
            ratio=arm.metric.ratio - theta * (arm.covariate.ratio - pooled_covariate),
            variance=np.maximum(
                arm.metric.variance
                - 2 * theta * arm.covariance
                + theta * theta * arm.covariate.variance,
                0.0,
            ),
        )

    return _Adjustment(mc, mt, theta, adjusted(mc), adjusted(mt))


def _arrays(adjustment: _Adjustment, alpha: float) -> AdjustedArrays:
    mc, mt = adjustment.control, adjustment.treatment
    unadjusted = compare_ratios_arrays(mc.metric, mt.metric, alpha)
    adjusted = compare_ratios_arrays(
        adjustment.adjusted_control, adjustment.adjusted_treatment, alpha
    )
    balance = compare_ratios_arrays(mc.covariate, mt.covariate, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift_reduction = 1 - (adjusted.lift_se / unadjusted.lift_se) ** 2
        difference_reduction = 1 - (adjusted.difference_se / unadjusted.difference_se) ** 2
    signs_disagree: BoolArray = np.sign(adjusted.lift) * np.sign(unadjusted.lift) < 0
    return AdjustedArrays(
        unadjusted=unadjusted,
        adjusted=adjusted,
        theta=adjustment.theta,
        lift_variance_reduction=lift_reduction,
        difference_variance_reduction=difference_reduction,
        signs_disagree=signs_disagree,
        balance_difference=balance.difference,
        balance_se=balance.difference_se,
        balance_p_value=balance.p_value,
    )


def adjusted_lift_arrays(
    control: AccountSums, treatment: AccountSums, alpha: float = 0.05
) -> AdjustedArrays:
    """CUPED-adjusted and unadjusted comparisons of two arms, element-wise."""
    check_alpha(alpha)
    return _arrays(_adjust(control, treatment), alpha)


def adjusted_lift(
    control: AccountSums,
    treatment: AccountSums,
    alpha: float = 0.05,
    balance_threshold: float = BALANCE_THRESHOLD,
) -> AdjustedLift:
    """PLI and difference with and without CUPED adjustment, from per-arm account sums
    that include the pre-exposure covariate sums; see the module docstring.

    Reference (docs/statistics.md, worked example): visitor level, control (y, x) = (1, 1),
    (0, 0), (2, 1), (1, 2); treatment (2, 2), (1, 1), (3, 3), (2, 2) → θ = 3/4, adjusted
    means 1.375 and 1.625, adjusted lift 2/11 (unadjusted 1), difference variance 1.75/12
    (unadjusted 4/12, a reduction of 0.5625).
    """
    check_alpha(alpha)
    check_probability(balance_threshold, "balance_threshold")
    check_account_sums(control, "control")
    check_account_sums(treatment, "treatment")
    adjustment = _adjust(control, treatment)
    arrays = _arrays(adjustment, alpha)
    mc, mt = adjustment.control, adjustment.treatment
    p_value = scalar(arrays.balance_p_value)
    return AdjustedLift(
        unadjusted=comparison_result(mc.metric, mt.metric, alpha),
        adjusted=comparison_result(
            adjustment.adjusted_control, adjustment.adjusted_treatment, alpha
        ),
        theta=scalar(arrays.theta),
        lift_variance_reduction=scalar(arrays.lift_variance_reduction),
        difference_variance_reduction=scalar(arrays.difference_variance_reduction),
        signs_disagree=bool(arrays.signs_disagree.reshape(-1)[0]),
        balance=BalanceCheck(
            covariate_control=scalar(mc.covariate.ratio),
            covariate_treatment=scalar(mt.covariate.ratio),
            difference=scalar(arrays.balance_difference),
            se=scalar(arrays.balance_se),
            p_value=p_value,
            threshold=balance_threshold,
            imbalanced=p_value < balance_threshold,
        ),
    )
