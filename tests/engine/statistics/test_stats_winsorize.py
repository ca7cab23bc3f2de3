"""Capping per-unit values at a percentile of the positive values (persx/engine/statistics/
winsorize.py); reference values in docs/statistics.md."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics.winsorize import (
    ValueSums,
    capped,
    positive_percentile_cap,
    value_sums,
)


@pytest.mark.parametrize(
    ("values", "percentile", "cap"),
    [
        # docs/statistics.md reference values (type 7 interpolation, worked by hand):
        # positives 10, 20, 30, 40, 1000: h = 4·0.99 = 3.96 → 40 + 0.96·960 = 961.6
        ([0, 0, 10, 20, 30, 40, 1000], 99.0, 961.6),
        # 1..100: h = 99·0.99 = 98.01 → 99 + 0.01·1 = 99.01
        (list(range(101)), 99.0, 99.01),
        # 95th of 1..100: h = 94.05 → 95 + 0.05 = 95.05
        (list(range(1, 101)), 95.0, 95.05),
        ([0, 0, 5], 99.0, 5.0),  # one positive value: the cap is that value
        ([0, 0, 0], 99.0, 0.0),  # nothing positive: nothing to cap
        ([3, 7], 100.0, 7.0),  # the 100th percentile is the largest value
    ],
)
def test_the_cap_is_the_percentile_of_the_positive_values(
    values: list[float], percentile: float, cap: float
) -> None:
    assert positive_percentile_cap(values, percentile) == pytest.approx(cap, abs=1e-9)


def test_the_cap_matches_a_sorted_order_statistic_definition_on_random_data() -> None:
    rng = np.random.default_rng(7)
    values = np.where(rng.random(20_000) < 0.02, rng.lognormal(9, 1.5, 20_000), 0.0)
    positive = np.sort(values[values > 0])
    h = (positive.size - 1) * 0.99
    lower = math.floor(h)
    expected = positive[lower] + (h - lower) * (positive[lower + 1] - positive[lower])
    assert positive_percentile_cap(values) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("values", "percentile", "words"),
    [
        ([1, 2], 0.0, "percentile"),
        ([1, 2], 100.5, "percentile"),
        ([1, -2], 99.0, "not negative"),
        ([1, math.inf], 99.0, "finite"),
    ],
)
def test_bad_input_is_refused(values: list[float], percentile: float, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        positive_percentile_cap(values, percentile)


def test_capping_and_sums() -> None:
    assert capped([0, 5, 50, 500], 60.0).tolist() == [0.0, 5.0, 50.0, 60.0]
    with pytest.raises(ValueError, match="cap"):
        capped([1], -1.0)
    with pytest.raises(ValueError, match="cap"):
        capped([1], math.nan)
    sums = value_sums([0, 3, 4])
    assert sums == ValueSums(3, 7.0, 25.0)
    assert sums.mean == pytest.approx(7 / 3)
    empty = value_sums([])
    assert (empty.n, empty.total, empty.total_sq) == (0, 0.0, 0.0)
    assert math.isnan(empty.mean)
