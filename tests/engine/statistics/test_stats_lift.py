"""Relative lift (PLI) intervals: reference values (docs/statistics.md) and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from persx.engine.statistics import (
    LiftInterval,
    delta_interval_arrays,
    fieller_interval_arrays,
    katz_interval_arrays,
    relative_lift,
    relative_lift_delta,
    relative_lift_katz,
)

# docs/statistics.md table, percentages to two decimals: (data), PLI, delta, Fieller, Katz.
REFERENCE = [
    ((30, 1000, 40, 1000), 33.33, (-28.69, 95.36), (-16.68, 121.17), (-16.26, 112.31)),
    ((300, 10000, 345, 10000), 15.00, (-2.51, 32.51), (-1.23, 34.12), (-1.24, 33.91)),
]


def _pct(value: float) -> float:
    return round(100 * value, 2)


@pytest.mark.parametrize(("counts", "pli", "delta", "fieller", "katz"), REFERENCE)
def test_reference_intervals(
    counts: tuple[int, int, int, int],
    pli: float,
    delta: tuple[float, float],
    fieller: tuple[float, float],
    katz: tuple[float, float],
) -> None:
    result = relative_lift(*counts)
    assert result.method == "fieller"
    assert result.interval_exists
    assert _pct(result.lift) == pli
    assert (_pct(result.lower), _pct(result.upper)) == fieller
    d = relative_lift_delta(*counts)
    assert (_pct(d.lift), _pct(d.lower), _pct(d.upper)) == (pli, *delta)
    k = relative_lift_katz(*counts)
    assert (_pct(k.lift), _pct(k.lower), _pct(k.upper)) == (pli, *katz)


def test_fieller_lower_bound_is_above_delta_at_small_samples() -> None:
    fieller = relative_lift(30, 1000, 40, 1000)
    delta = relative_lift_delta(30, 1000, 40, 1000)
    assert fieller.lower > delta.lower
    assert fieller.upper > delta.upper  # asymmetric: longer on the upside


def test_fieller_interval_does_not_exist_when_g_reaches_one() -> None:
    # 2 conversions out of 4: g = z²·v_C/p_C² = 3.84·(0.0625)/0.25 = 0.96 < 1 still exists;
    # 1 out of 10: g = 3.84·0.009/0.01 ≈ 3.5 ≥ 1, the confidence set is unbounded.
    assert relative_lift(2, 4, 3, 4).interval_exists
    unbounded = relative_lift(1, 10, 3, 10)
    assert not unbounded.interval_exists
    assert (unbounded.lower, unbounded.upper) == (-math.inf, math.inf)
    assert unbounded.lift == pytest.approx(2.0)
    assert unbounded.contains(123.0)


def test_zero_conversions() -> None:
    no_control = relative_lift(0, 1000, 5, 1000)
    assert no_control.lift == math.inf
    assert not no_control.interval_exists
    nothing = relative_lift(0, 1000, 0, 1000)
    assert math.isnan(nothing.lift)
    assert not nothing.interval_exists
    no_treatment = relative_lift_katz(5, 1000, 0, 1000)
    assert no_treatment.lift == -1
    assert not no_treatment.interval_exists


def test_lower_bound_is_clipped_at_minus_100_percent() -> None:
    result = relative_lift(3, 10, 1, 10)
    assert result.interval_exists
    assert result.lower == -1.0
    assert relative_lift_delta(3, 10, 1, 10).lower >= -1.0


@pytest.mark.parametrize(
    "args",
    [(-1, 10, 1, 10), (11, 10, 1, 10), (1, 0, 1, 10), (1, 10, 1, 10, 0.0), (1, 10, 1, 10, 1.0)],
)
def test_invalid_arguments(args: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="must be"):
        relative_lift(*args)  # type: ignore[arg-type]


def test_vectorised_core_matches_scalar_api() -> None:
    rng = np.random.default_rng(1)
    n_c = rng.integers(200, 5000, 50)
    n_t = rng.integers(200, 5000, 50)
    x_c = rng.binomial(n_c, 0.05)
    x_t = rng.binomial(n_t, 0.06)
    for func, scalar in (
        (fieller_interval_arrays, relative_lift),
        (delta_interval_arrays, relative_lift_delta),
        (katz_interval_arrays, relative_lift_katz),
    ):
        arrays = func(x_c, n_c, x_t, n_t, 0.1)
        for i in range(50):
            one: LiftInterval = scalar(int(x_c[i]), int(n_c[i]), int(x_t[i]), int(n_t[i]), 0.1)
            assert one.lower == arrays.lower[i]
            assert one.upper == arrays.upper[i]
            assert one.lift == arrays.lift[i]


@given(
    n_c=st.integers(2, 100_000),
    n_t=st.integers(2, 100_000),
    rate_c=st.floats(0.001, 0.999),
    rate_t=st.floats(0.001, 0.999),
    alpha=st.sampled_from([0.01, 0.05, 0.1, 0.2]),
)
def test_intervals_contain_the_estimate(
    n_c: int, n_t: int, rate_c: float, rate_t: float, alpha: float
) -> None:
    x_c = round(rate_c * n_c)
    x_t = round(rate_t * n_t)
    for func in (relative_lift, relative_lift_delta, relative_lift_katz):
        result = func(x_c, n_c, x_t, n_t, alpha)
        if result.interval_exists:
            assert -1 <= result.lower <= result.lift + 1e-12
            assert result.lift - 1e-12 <= result.upper
            assert result.alpha == alpha


def test_wider_at_higher_confidence() -> None:
    r95 = relative_lift(300, 10000, 345, 10000, alpha=0.05)
    r90 = relative_lift(300, 10000, 345, 10000, alpha=0.10)
    assert r95.lower < r90.lower < r90.upper < r95.upper
