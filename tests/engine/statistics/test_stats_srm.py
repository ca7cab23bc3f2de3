"""Sample ratio mismatch: reference values (docs/statistics.md) and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics import srm_chi2_arrays, srm_test


def test_600_400_at_50_50() -> None:
    r = srm_test([600, 400], [0.5, 0.5])
    assert r.chi2 == pytest.approx(40.0)
    assert float(f"{r.p_value:.3g}") == 2.54e-10
    assert r.flagged
    assert r.expected == (500.0, 500.0)
    assert r.df == 1


def test_44000_45000() -> None:
    r = srm_test([44_000, 45_000])
    assert round(r.chi2, 2) == 11.24
    assert round(r.p_value, 5) == 0.00080
    assert r.flagged


def test_10000_10050() -> None:
    r = srm_test([10_000, 10_050])
    assert round(r.p_value, 3) == 0.724
    assert not r.flagged


def test_weights_are_normalised_and_uneven_splits_work() -> None:
    assert srm_test([9_000, 1_000], [90, 10]).chi2 == pytest.approx(0.0)
    assert srm_test([9_000, 1_000], [0.9, 0.1]).p_value == pytest.approx(1.0)
    assert srm_test([5_000, 5_000], [0.9, 0.1]).flagged


def test_matches_scipy_chisquare_for_three_arms() -> None:
    from scipy import stats

    observed = [3_050, 2_950, 4_100]
    weights = [0.3, 0.3, 0.4]
    expected = stats.chisquare(observed, [sum(observed) * w for w in weights])
    r = srm_test(observed, weights)
    assert r.chi2 == pytest.approx(float(expected.statistic))
    assert r.p_value == pytest.approx(float(expected.pvalue))
    assert r.df == 2


def test_zero_weight_arm_with_exposures_is_a_mismatch() -> None:
    r = srm_test([500, 500, 3], [0.5, 0.5, 0.0])
    assert r.chi2 == math.inf
    assert r.p_value == 0.0
    assert r.flagged
    assert not srm_test([500, 500, 0], [0.5, 0.5, 0.0]).flagged


def test_no_exposures_is_not_flagged() -> None:
    r = srm_test([0, 0])
    assert r.p_value == 1.0
    assert not r.flagged


def test_arrays_accept_many_runs() -> None:
    chi2, p = srm_chi2_arrays(np.array([[600, 400], [10_000, 10_050]]))
    assert chi2.shape == p.shape == (2,)
    assert p[0] < 0.001 < p[1]


@pytest.mark.parametrize(
    ("observed", "weights"),
    [([1], None), ([1, 2], [0.5]), ([1, 2], [-1, 2]), ([1, 2], [0, 0]), ([-1, 2], None)],
)
def test_invalid(observed: list[int], weights: list[float] | None) -> None:
    with pytest.raises(ValueError, match=r"at least two|weight|non-negative"):
        srm_test(observed, weights)


def test_a_single_weighted_arm_has_nothing_to_compare() -> None:
    # Only one arm can receive visitors: no degrees of freedom, so no evidence of mismatch,
    # unless the zero-weight arm got exposures.
    assert srm_test([700, 0], [1.0, 0.0]).p_value == 1.0
    leaked = srm_test([700, 5], [1.0, 0.0])
    assert (leaked.chi2, leaked.p_value, leaked.flagged) == (math.inf, 0.0, True)
