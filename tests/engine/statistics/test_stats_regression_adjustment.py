"""CUPED regression adjustment (docs/statistics.md, "Regression adjustment (CUPED)").

Oracles: a worked example by hand (steps in the doc); ordinary least squares with an arm
indicator (ANCOVA, numpy's lstsq), which must give the same θ and adjusted difference at
visitor level; a bootstrap over accounts that re-estimates θ in every resample.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from persx.engine.statistics import (
    BALANCE_THRESHOLD,
    AccountSums,
    account_sums,
    adjusted_lift,
    adjusted_lift_arrays,
)

FloatArray = npt.NDArray[np.float64]


def _visitors(outcomes: list[float], covariates: list[float]) -> AccountSums:
    return account_sums([None] * len(outcomes), outcomes, covariates)


def test_worked_example_by_hand() -> None:
    # Control (y, x): (1, 1), (0, 0), (2, 1), (1, 2); treatment (2, 2), (1, 1), (3, 3), (2, 2).
    # Centred: control u = (0, -1, 1, 0), w = (0, -1, 0, 1): Σuw = 1, Σw² = 2, Σu² = 2;
    # treatment u = w = (0, -1, 1, 0): Σuw = 2, Σw² = 2, Σu² = 2. c = k/((k-1)n²) = 1/12.
    # θ = (1 + 2)/(2 + 2) = 3/4; pooled covariate q̄ = 12/8 = 1.5.
    result = adjusted_lift(
        _visitors([1, 0, 2, 1], [1, 0, 1, 2]), _visitors([2, 1, 3, 2], [2, 1, 3, 2])
    )
    assert result.theta == pytest.approx(0.75)
    # r̃_C = 1 - 0.75·(1 - 1.5) = 1.375; r̃_T = 2 - 0.75·(2 - 1.5) = 1.625.
    assert result.adjusted.ratio_control == pytest.approx(1.375)
    assert result.adjusted.ratio_treatment == pytest.approx(1.625)
    # Var(r̃_C) = (2 - 2·0.75·1 + 0.5625·2)/12 = 1.625/12; Var(r̃_T) = (2 - 3 + 1.125)/12.
    assert result.adjusted.variance_control == pytest.approx(1.625 / 12)
    assert result.adjusted.variance_treatment == pytest.approx(0.125 / 12)
    assert result.adjusted.lift == pytest.approx(2 / 11)
    assert result.adjusted.difference == pytest.approx(0.25)
    # Unadjusted: means 1 and 2, variances 2/12 each; the difference's variance falls from
    # 4/12 to 1.75/12, a reduction of 0.5625.
    assert result.unadjusted.lift == pytest.approx(1.0)
    assert result.unadjusted.difference_se**2 == pytest.approx(4 / 12)
    assert result.difference_variance_reduction == pytest.approx(0.5625)
    # Lift: SE² 0.833333 unadjusted, 0.105548 adjusted.
    assert round(result.lift_variance_reduction, 4) == 0.8733
    assert not result.signs_disagree
    # Balance: q̂_T - q̂_C = 1, SE = √(2/12 + 2/12) = 0.57735, z = 1.732, p = 0.0833.
    balance = result.balance
    assert (balance.covariate_control, balance.covariate_treatment) == (1.0, 2.0)
    assert balance.difference == pytest.approx(1.0)
    assert balance.se == pytest.approx(np.sqrt(1 / 3))
    assert round(balance.p_value, 4) == 0.0833
    assert balance.threshold == BALANCE_THRESHOLD
    assert not balance.imbalanced


def test_an_imbalanced_covariate_is_flagged_and_can_turn_the_sign() -> None:
    # The treatment's visitors were far more engaged before exposure (x + 2): θ stays 3/4,
    # q̄ = 2.5, r̃_C = 1 + 0.75·1.5 = 2.125, r̃_T = 2 - 0.75·1.5 = 0.875: the raw +100%
    # is pre-existing engagement, and the adjusted lift is negative.
    result = adjusted_lift(
        _visitors([1, 0, 2, 1], [1, 0, 1, 2]), _visitors([2, 1, 3, 2], [4, 3, 5, 4])
    )
    assert result.theta == pytest.approx(0.75)
    assert result.adjusted.ratio_control == pytest.approx(2.125)
    assert result.adjusted.ratio_treatment == pytest.approx(0.875)
    assert result.unadjusted.lift > 0 > result.adjusted.lift
    assert result.signs_disagree
    # z = 3/0.57735 = 5.196, p = 2.0e-7 < 0.001.
    assert result.balance.imbalanced
    assert result.balance.p_value == pytest.approx(2.04e-7, rel=0.01)


def test_visitor_level_adjustment_is_ancova() -> None:
    # OLS of y on (1, arm, x) with equal arms: the x coefficient is the pooled within-arm
    # slope, which is θ here, and the arm coefficient is the adjusted difference.
    rng = np.random.default_rng(11)
    n = 500
    x = rng.gamma(2.0, 1.5, 2 * n)
    arm = np.repeat([0.0, 1.0], n)
    y = 1.0 + 0.4 * x + 0.3 * arm + rng.normal(0, 1, 2 * n)
    design = np.column_stack([np.ones(2 * n), arm, x])
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    result = adjusted_lift(
        account_sums([None] * n, y[:n], x[:n]), account_sums([None] * n, y[n:], x[n:])
    )
    assert result.theta == pytest.approx(coefficients[2], rel=1e-9)
    assert result.adjusted.difference == pytest.approx(coefficients[1], rel=1e-9)
    assert result.difference_variance_reduction > 0.3


def _accounts(
    rng: np.random.Generator, k: int, lift: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    sizes = np.minimum(np.floor(np.exp(rng.uniform(0, np.log(51), k))), 50)
    propensity = rng.beta(0.45, 8.55, k)
    covariate = rng.poisson(sizes * 2 * propensity).astype(np.float64)
    outcome = rng.binomial(sizes.astype(np.int64), propensity * (1 + lift)).astype(np.float64)
    return sizes, outcome, covariate


def _sums(sizes: FloatArray, outcome: FloatArray, covariate: FloatArray) -> AccountSums:
    return AccountSums(
        accounts=sizes.shape[-1],
        visitors=sizes.sum(-1),
        outcome=outcome.sum(-1),
        visitors_sq=(sizes * sizes).sum(-1),
        outcome_sq=(outcome * outcome).sum(-1),
        outcome_visitors=(sizes * outcome).sum(-1),
        covariate=covariate.sum(-1),
        covariate_sq=(covariate * covariate).sum(-1),
        covariate_visitors=(sizes * covariate).sum(-1),
        covariate_outcome=(covariate * outcome).sum(-1),
    )


def test_account_level_adjusted_variance_matches_a_bootstrap() -> None:
    # Resample each arm's 400 accounts 10,000 times, re-estimating θ and q̄ every time; the
    # variance of the adjusted difference and lift across resamples is the brute-force answer.
    rng = np.random.default_rng(12)
    control, treatment = _accounts(rng, 400, 0.0), _accounts(rng, 400, 0.15)
    result = adjusted_lift(_sums(*control), _sums(*treatment))
    picks_c = rng.integers(0, 400, (10_000, 400))
    picks_t = rng.integers(0, 400, (10_000, 400))
    boot = adjusted_lift_arrays(
        _sums(*(a[picks_c] for a in control)), _sums(*(a[picks_t] for a in treatment))
    )
    assert result.adjusted.difference_se**2 == pytest.approx(
        float(np.var(boot.adjusted.difference)), rel=0.1
    )
    assert result.adjusted.lift_se**2 == pytest.approx(float(np.var(boot.adjusted.lift)), rel=0.1)
    assert result.difference_variance_reduction > 0.4


def test_a_constant_covariate_changes_nothing() -> None:
    result = adjusted_lift(
        _visitors([1, 0, 2, 1], [3, 3, 3, 3]), _visitors([2, 1, 3, 2], [3, 3, 3, 3])
    )
    assert result.theta == 0.0
    assert result.adjusted == result.unadjusted
    assert result.lift_variance_reduction == pytest.approx(0.0)
    assert result.difference_variance_reduction == pytest.approx(0.0)


def test_vectorised_core_matches_the_scalar_api() -> None:
    rng = np.random.default_rng(13)
    runs = [_accounts(rng, 60, 0.1) for _ in range(12)]
    stacked = [np.stack([run[j] for run in runs]) for j in range(3)]
    arrays = adjusted_lift_arrays(
        _sums(*(a[:6] for a in stacked)), _sums(*(a[6:] for a in stacked)), alpha=0.1
    )
    for i in range(6):
        one = adjusted_lift(
            _sums(*(a[i] for a in stacked)), _sums(*(a[6 + i] for a in stacked)), alpha=0.1
        )
        assert one.theta == arrays.theta[i]
        assert one.adjusted.lift_lower == arrays.adjusted.lift_lower[i]
        assert one.unadjusted.lift_upper == arrays.unadjusted.lift_upper[i]
        assert one.lift_variance_reduction == arrays.lift_variance_reduction[i]
        assert one.balance.p_value == arrays.balance_p_value[i]
        assert one.signs_disagree == arrays.signs_disagree[i]


def test_arguments_are_checked() -> None:
    valid = _visitors([1, 0, 2, 1], [1, 0, 1, 2])
    with pytest.raises(ValueError, match="balance_threshold"):
        adjusted_lift(valid, valid, balance_threshold=0.0)
    with pytest.raises(ValueError, match="alpha"):
        adjusted_lift(valid, valid, alpha=0.0)
    with pytest.raises(ValueError, match="alpha"):
        adjusted_lift_arrays(valid, valid, alpha=1.0)
    with pytest.raises(ValueError, match="control: accounts"):
        adjusted_lift(AccountSums(1, 1, 1, 1, 1, 1), valid)
