"""Confidence sequences and mSPRT: reference values (docs/statistics.md) and behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.stats import (
    always_valid_p_values,
    confidence_sequence,
    confidence_sequence_halfwidth_arrays,
    msprt,
    msprt_difference_of_proportions,
    proportion_ttest,
    sequential_relative_lift,
    sequential_relative_lift_arrays,
)


def test_confidence_sequence_reference() -> None:
    r = sequential_relative_lift(1396, 3000, 2422, 3461, alpha=0.05, tuning_n=5000)
    assert round(r.lift, 5) == 0.50386
    assert round(r.se, 5) == 0.03386
    assert r.interval_exists
    assert (round(r.lower, 5), round(r.upper, 5)) == (0.40098, 0.60675)
    assert (round(r.fixed_lower, 4), round(r.fixed_upper, 4)) == (0.4375, 0.5702)


def test_sequence_is_wider_than_fixed_horizon() -> None:
    for n in (100, 1000, 5000, 50_000, 1_000_000):
        fixed = proportion_ttest(n // 20, n, n // 18, n)
        seq = confidence_sequence(fixed.estimate, fixed.se, 2 * n)
        assert seq.lower < fixed.lower
        assert seq.upper > fixed.upper


def test_halfwidth_shrinks_with_sample_size() -> None:
    n = np.array([1_000, 10_000, 100_000, 1_000_000], dtype=float)
    se = 1 / np.sqrt(n)  # an SE that falls like 1/sqrt(N)
    width = confidence_sequence_halfwidth_arrays(se, n)
    assert np.all(np.diff(width) < 0)


def test_sequence_is_withheld_below_min_conversions() -> None:
    r = sequential_relative_lift(10, 300, 12, 300)
    assert not r.interval_exists
    assert (r.lower, r.upper) == (-math.inf, math.inf)
    assert math.isfinite(r.fixed_lower)
    assert sequential_relative_lift(10, 300, 12, 300, min_conversions=5).interval_exists


def test_arrays_match_scalar() -> None:
    arrays = sequential_relative_lift_arrays([1396, 500], [3000, 9000], [2422, 560], [3461, 9100])
    one = sequential_relative_lift(500, 9000, 560, 9100)
    assert (arrays.lower[1], arrays.upper[1]) == (one.lower, one.upper)


def test_invalid_tuning() -> None:
    with pytest.raises(ValueError, match="tuning_n"):
        confidence_sequence(0.1, 0.05, 1000, tuning_n=0)


def test_msprt_reference() -> None:
    r = msprt_difference_of_proportions(300, 10000, 400, 10000, tau2=1e-4)
    assert round(r.likelihood_ratio, 1) == 259.4
    assert round(r.p_value, 5) == 0.00385
    assert r.estimate == pytest.approx(0.01)


def test_msprt_p_value_is_capped_and_overflow_safe() -> None:
    assert msprt(0.0, 1e-4, 1e-4).p_value == 1.0
    huge = msprt(1.0, 1e-8, 1e-4)
    assert huge.likelihood_ratio == math.inf
    assert huge.p_value == 0.0


def test_always_valid_p_is_running_minimum() -> None:
    estimates = [0.0, 0.01, 0.002, 0.015]
    variances = [1e-4, 5e-5, 2e-5, 1e-5]
    p = always_valid_p_values(estimates, variances, tau2=1e-4)
    single = [msprt(e, v, 1e-4).p_value for e, v in zip(estimates, variances, strict=True)]
    assert p == pytest.approx(tuple(float(v) for v in np.minimum.accumulate(single)))
    assert always_valid_p_values([], [], 1e-4) == ()
    with pytest.raises(ValueError, match="same length"):
        always_valid_p_values([0.1], [], 1e-4)


def test_msprt_refuses_a_non_positive_variance_or_mixing_variance() -> None:
    with pytest.raises(ValueError, match="variance must be positive"):
        msprt(0.01, 0.0, 1e-4)
    with pytest.raises(ValueError, match="tau2 must be positive"):
        msprt(0.01, 1e-4, 0.0)


def test_sequential_lift_needs_two_visitors_per_arm() -> None:
    with pytest.raises(ValueError, match="at least two visitors"):
        sequential_relative_lift(0, 1, 1, 100)
