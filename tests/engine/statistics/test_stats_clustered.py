"""Account-level ratio of means and lift (docs/statistics.md, "Account-level inference").

The oracles are independent of the module's algebra: a worked example done by hand (its
steps are in the doc), the visitor-level formulas of lift.py where every account has one
visitor, the generic delta method (numpy's covariance matrix and a gradient), and a
brute-force bootstrap over accounts.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from persx.engine.statistics import (
    AccountSums,
    account_sums,
    clustered_lift,
    compare_ratios_arrays,
    delta_interval_arrays,
    ratio_of_means_arrays,
    relative_lift,
)

# The worked example: per account (visitors N, conversions Y).
CONTROL = {"a": (1, 0), "b": (2, 1), "c": (3, 1), "d": (4, 2)}
TREATMENT = {"a": (1, 1), "b": (2, 1), "c": (3, 2), "d": (2, 1)}


def _visitor_rows(accounts: dict[str, tuple[int, int]]) -> tuple[list[str], list[int]]:
    ids: list[str] = []
    outcomes: list[int] = []
    for account, (visitors, conversions) in accounts.items():
        ids += [account] * visitors
        outcomes += [1] * conversions + [0] * (visitors - conversions)
    return ids, outcomes


def _sums(values: npt.NDArray[np.float64], sizes: npt.NDArray[np.float64]) -> AccountSums:
    return AccountSums(
        accounts=sizes.shape[-1],
        visitors=sizes.sum(-1),
        outcome=values.sum(-1),
        visitors_sq=(sizes * sizes).sum(-1),
        outcome_sq=(values * values).sum(-1),
        outcome_visitors=(sizes * values).sum(-1),
    )


def test_worked_example_by_hand() -> None:
    # Control: r = 4/10 = 0.4; residuals Y - rN = -0.4, 0.2, -0.2, 0.4, squares sum to 0.4;
    # Var = 0.4·k/((k-1)·(ΣN)²) = 0.4·4/(3·100) = 1/187.5.
    # Treatment: r = 5/8 = 0.625; residuals 0.375, -0.25, 0.125, -0.25, squares 0.28125;
    # Var = 0.28125·4/(3·64) = 3/512.
    result = clustered_lift(
        account_sums(*_visitor_rows(CONTROL)), account_sums(*_visitor_rows(TREATMENT))
    )
    assert result.ratio_control == pytest.approx(0.4)
    assert result.ratio_treatment == pytest.approx(0.625)
    assert result.variance_control == pytest.approx(1 / 187.5)
    assert result.variance_treatment == pytest.approx(3 / 512)
    assert result.lift == pytest.approx(0.5625)
    # SE² = (3/512)/0.4² + 0.625²·(1/187.5)/0.4⁴ = 0.0366211 + 0.0813802 = 0.1180013.
    assert round(result.lift_se, 5) == 0.34351
    assert (round(result.delta_lower, 5), round(result.delta_upper, 5)) == (-0.11077, 1.23577)
    # Fieller: g = z²·Var_C/r_C² = 0.128049; R = 1.5625;
    # half = (z/0.4)·√(Var_T·(1-g) + R²·Var_C) = 4.89991·0.134649 = 0.659767.
    assert result.interval_exists
    assert (round(result.lift_lower, 4), round(result.lift_upper, 4)) == (0.0353, 1.5486)
    assert result.contains_lift(0.5)
    assert not result.contains_lift(0.0)
    # Difference 0.225, SE = √(1/187.5 + 3/512) = 0.105796, z = 2.1267, p = 0.0334.
    assert result.difference == pytest.approx(0.225)
    assert round(result.difference_se, 6) == 0.105796
    assert (round(result.difference_lower, 5), round(result.difference_upper, 5)) == (
        0.01764,
        0.43236,
    )
    assert round(result.p_value, 4) == 0.0334
    assert result.alpha == 0.05


def test_single_visitor_accounts_reproduce_the_visitor_level_formulas() -> None:
    # 30/1000 vs 40/1000 with every visitor its own account: Var(r) = p(1-p)/(n-1), so
    # the delta SE is the visitor-level one times √(n/(n-1)), and Fieller's interval is
    # lift.py's own to within that factor.
    control = account_sums([None] * 1000, [1] * 30 + [0] * 970)
    treatment = account_sums([None] * 1000, [1] * 40 + [0] * 960)
    result = clustered_lift(control, treatment)
    assert result.variance_control == pytest.approx(0.03 * 0.97 / 999)
    visitor_delta = delta_interval_arrays(30, 1000, 40, 1000)
    visitor_half = float(visitor_delta.upper) - float(visitor_delta.lift)
    assert result.delta_upper - result.lift == pytest.approx(visitor_half * math.sqrt(1000 / 999))
    fieller = relative_lift(30, 1000, 40, 1000)
    assert result.lift_lower == pytest.approx(fieller.lower, abs=1e-3)
    assert result.lift_upper == pytest.approx(fieller.upper, abs=2e-3)


def _clustered_population(
    rng: np.random.Generator, k: int, continuous: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    sizes = np.minimum(np.floor(np.exp(rng.uniform(0, np.log(51), k))), 50)
    propensity = rng.beta(0.5, 4.5, k)
    if continuous:  # pipeline value: an account effect times heavy-tailed amounts
        values = sizes * propensity * rng.lognormal(8, 1, k)
    else:
        values = rng.binomial(sizes.astype(np.int64), propensity).astype(np.float64)
    return values, sizes


@pytest.mark.parametrize("continuous", [False, True])
def test_variance_matches_the_generic_delta_method(continuous: bool) -> None:
    # Delta method written generically: Var(f(m)) ≈ ∇f·Σ·∇f/k with Σ numpy's covariance of
    # the account totals (Y_i, N_i) and f(a, b) = a/b.
    values, sizes = _clustered_population(np.random.default_rng(5), 200, continuous)
    mean = np.array([values.mean(), sizes.mean()])
    gradient = np.array([1 / mean[1], -mean[0] / mean[1] ** 2])
    expected = gradient @ np.cov(np.stack([values, sizes])) @ gradient / len(sizes)
    estimate = ratio_of_means_arrays(_sums(values, sizes))
    assert float(estimate.ratio) == pytest.approx(values.sum() / sizes.sum())
    assert float(estimate.variance) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("continuous", [False, True])
def test_variance_matches_a_bootstrap_over_accounts(continuous: bool) -> None:
    # Brute force: resample the 300 accounts with replacement 20,000 times and take the
    # variance of the ratio. The bootstrap's own Monte Carlo error is about 1%, and it
    # divides by k where the delta method divides by k - 1.
    rng = np.random.default_rng(6)
    values, sizes = _clustered_population(rng, 300, continuous)
    picks = rng.integers(0, 300, (20_000, 300))
    bootstrap = values[picks].sum(1) / sizes[picks].sum(1)
    estimate = ratio_of_means_arrays(_sums(values, sizes))
    assert float(estimate.variance) == pytest.approx(float(np.var(bootstrap)), rel=0.05)


def test_vectorised_core_matches_the_scalar_api() -> None:
    rng = np.random.default_rng(7)
    runs = [_clustered_population(rng, 50, False) for _ in range(20)]
    values = np.stack([v for v, _ in runs])
    sizes = np.stack([s for _, s in runs])
    control, treatment = _sums(values[:10], sizes[:10]), _sums(values[10:], sizes[10:])
    arrays = compare_ratios_arrays(
        ratio_of_means_arrays(control), ratio_of_means_arrays(treatment), 0.1
    )
    for i in range(10):
        one = clustered_lift(
            _sums(values[i], sizes[i]), _sums(values[10 + i], sizes[10 + i]), alpha=0.1
        )
        assert one.lift_lower == arrays.lift_lower[i]
        assert one.lift_upper == arrays.lift_upper[i]
        assert one.difference_se == arrays.difference_se[i]
        assert one.p_value == arrays.p_value[i]


def test_fieller_interval_is_unbounded_when_the_control_is_not_bounded_away_from_zero() -> None:
    # Control: one conversion among 3 accounts of 2; g = z²·Var_C/r_C² ≥ 1.
    control = account_sums(["a", "a", "b", "b", "c", "c"], [1, 0, 0, 0, 0, 0])
    treatment = account_sums(["a", "a", "b", "b", "c", "c"], [1, 0, 1, 0, 0, 0])
    result = clustered_lift(control, treatment)
    assert not result.interval_exists
    assert (result.lift_lower, result.lift_upper) == (-math.inf, math.inf)
    assert result.lift == pytest.approx(1.0)
    assert math.isfinite(result.delta_lower)


def test_no_control_conversions_leaves_the_lift_undefined() -> None:
    control = account_sums(["a", "b", "c"], [0, 0, 0])
    treatment = account_sums(["a", "b", "c"], [1, 0, 0])
    result = clustered_lift(control, treatment)
    assert result.lift == math.inf
    assert not result.interval_exists
    assert result.difference == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("sums", "message"),
    [
        (AccountSums(1, 5, 1, 25, 1, 5), "at least 2"),
        (AccountSums(2.5, 5, 1, 25, 1, 5), "whole number"),
        (AccountSums(3, 2, 1, 4, 1, 2), "visitors must be at least"),
        (AccountSums(2, 10, 1, 40, 1, 5), "visitors_sq"),
        (AccountSums(2, 10, 4, 60, 4, 5), "outcome_sq"),
        (AccountSums(2, 10, 1, 60, 1, 5, 4, 4), "covariate_sq"),
        (AccountSums(2, 10, math.nan, 60, 1, 5), "finite"),
    ],
)
def test_impossible_sums_are_refused(sums: AccountSums, message: str) -> None:
    valid = AccountSums(2, 10, 1, 60, 1, 5)
    with pytest.raises(ValueError, match=message):
        clustered_lift(sums, valid)
    with pytest.raises(ValueError, match=f"treatment: .*{message}"):
        clustered_lift(valid, sums)


def test_alpha_is_checked() -> None:
    valid = AccountSums(2, 10, 1, 60, 1, 5)
    with pytest.raises(ValueError, match="alpha"):
        clustered_lift(valid, valid, alpha=1.5)
