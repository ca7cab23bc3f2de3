"""Benjamini-Hochberg adjusted p-values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from persx.engine.statistics import benjamini_hochberg


def test_worked_example() -> None:
    r = benjamini_hochberg([0.01, 0.04, 0.03, 0.005], q=0.05)
    assert r.adjusted == pytest.approx((0.02, 0.04, 0.04, 0.02))
    assert r.rejected == (True, True, True, True)
    strict = benjamini_hochberg([0.01, 0.04, 0.03, 0.005], q=0.03)
    assert strict.rejected == (True, False, False, True)
    assert strict.n_rejected == 2


def test_step_up_rescues_earlier_hypotheses() -> None:
    # 0.041 alone fails 0.05·1/2 but the largest p (0.042 ≤ 0.05) lets both through.
    assert benjamini_hochberg([0.041, 0.042]).rejected == (True, True)


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=40))
def test_matches_scipy(p_values: list[float]) -> None:
    from scipy import stats

    expected = stats.false_discovery_control(np.array(p_values), method="bh")
    got = benjamini_hochberg(p_values)
    assert np.allclose(got.adjusted, expected, rtol=1e-12, atol=1e-15)
    assert all(a >= p * (1 - 1e-12) for a, p in zip(got.adjusted, p_values, strict=True))


def test_empty_and_invalid() -> None:
    assert benjamini_hochberg([]).adjusted == ()
    with pytest.raises(ValueError, match="p-values"):
        benjamini_hochberg([0.5, 1.5])
    with pytest.raises(ValueError, match="q must"):
        benjamini_hochberg([0.5], q=0)


def test_nested_p_values_are_refused() -> None:
    with pytest.raises(ValueError, match="flat sequence"):
        benjamini_hochberg([[0.1, 0.2], [0.3, 0.4]])  # type: ignore[list-item]
