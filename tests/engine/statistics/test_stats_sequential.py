"""Confidence sequences: reference values (docs/statistics.md) and behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics import (
    confidence_sequence,
    confidence_sequence_halfwidth_arrays,
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


def test_sequential_lift_needs_two_visitors_per_arm() -> None:
    with pytest.raises(ValueError, match="at least two visitors"):
        sequential_relative_lift(0, 1, 1, 100)
