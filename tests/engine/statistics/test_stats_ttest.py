"""Welch t-test from sufficient statistics: gbstats reference values (docs/statistics.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics import (
    proportion_ttest,
    sample_variance,
    welch_ttest,
    welch_ttest_arrays,
)

MEANS_C = (1396.87, 52377.9767, 3407)
MEANS_T = (2422.7, 134698.29, 3461)


def test_relative_means_reference() -> None:
    r = welch_ttest(*MEANS_C, *MEANS_T)
    assert r.relative
    assert round(r.estimate, 5) == 0.70732
    assert round(r.se, 5) == 0.37879
    assert (round(r.lower, 5), round(r.upper, 5)) == (-0.03526, 1.44989)
    assert round(r.p_value, 5) == 0.06191


def test_absolute_means_reference() -> None:
    r = welch_ttest(*MEANS_C, *MEANS_T, relative=False)
    assert not r.relative
    assert round(r.estimate, 5) == 0.29
    assert (round(r.lower, 5), round(r.upper, 5)) == (0.04538, 0.53462)
    assert round(r.p_value, 5) == 0.02016


def test_proportion_reference() -> None:
    r = proportion_ttest(14, 28, 16, 30)
    assert round(r.estimate, 5) == 0.06667
    assert round(r.se, 5) == 0.27170
    assert (round(r.lower, 5), round(r.upper, 5)) == (-0.47767, 0.61101)
    assert round(r.p_value, 5) == 0.80707


def test_sample_variance() -> None:
    values = [1.0, 2.0, 4.0, 7.0]
    assert sample_variance(sum(values), sum(v * v for v in values), 4) == pytest.approx(
        float(np.var(values, ddof=1))
    )
    assert math.isnan(sample_variance(1.0, 1.0, 1))


def test_absolute_matches_scipy_welch() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(1.0, 2.0, 400)
    b = rng.normal(1.3, 3.0, 500)
    from scipy import stats

    expected = stats.ttest_ind(b, a, equal_var=False)
    r = welch_ttest(
        float(a.sum()),
        float((a * a).sum()),
        a.size,
        float(b.sum()),
        float((b * b).sum()),
        b.size,
        relative=False,
    )
    assert r.p_value == pytest.approx(float(expected.pvalue), rel=1e-9)
    assert r.estimate / r.se == pytest.approx(float(expected.statistic), rel=1e-9)


def test_zero_control_mean_is_undefined_relative() -> None:
    arrays = welch_ttest_arrays(0.0, 1.0, 100, 1.0, 1.0, 100)
    assert not np.isfinite(arrays.estimate).all()


def test_needs_two_observations() -> None:
    with pytest.raises(ValueError, match="at least two"):
        welch_ttest(1, 1, 1, 2, 4, 2)
    with pytest.raises(ValueError, match="at least two"):
        proportion_ttest(1, 1, 1, 2)
