"""Bayesian chance to win (exact Beta formula) and P(PLI < t)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persx.engine.statistics import chance_to_win, prob_relative_lift_below


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((49, 100, 51, 100), 0.61077),
        ((30, 1000, 40, 1000), 0.88667),
        ((300, 10000, 345, 10000), 0.96409),
    ],
)
def test_reference_values(counts: tuple[int, int, int, int], expected: float) -> None:
    assert round(chance_to_win(*counts), 5) == expected


def test_symmetry_and_ties() -> None:
    assert chance_to_win(30, 1000, 30, 1000) == pytest.approx(0.5, abs=1e-12)
    assert chance_to_win(30, 1000, 40, 1000) + chance_to_win(40, 1000, 30, 1000) == (
        pytest.approx(1.0, abs=1e-12)
    )


def test_large_counts_do_not_overflow() -> None:
    p = chance_to_win(50_000, 1_000_000, 50_600, 1_000_000)
    assert 0.97 < p < 0.99
    assert chance_to_win(0, 10, 0, 10) == pytest.approx(0.5)


def test_matches_monte_carlo() -> None:
    rng = np.random.default_rng(11)
    c = rng.beta(1 + 30, 1 + 970, 400_000)
    t = rng.beta(1 + 40, 1 + 960, 400_000)
    assert chance_to_win(30, 1000, 40, 1000) == pytest.approx(float(np.mean(t > c)), abs=0.003)
    below = float(np.mean(t / c - 1 < 0.10))
    assert prob_relative_lift_below(30, 1000, 40, 1000, 0.10) == pytest.approx(below, abs=0.003)


@settings(max_examples=60, deadline=None)
@given(
    x_c=st.integers(0, 400),
    n_c=st.integers(400, 20_000),
    x_t=st.integers(0, 400),
    n_t=st.integers(400, 20_000),
)
def test_prob_below_zero_is_one_minus_chance_to_win(x_c: int, n_c: int, x_t: int, n_t: int) -> None:
    assert prob_relative_lift_below(x_c, n_c, x_t, n_t, 0.0) == pytest.approx(
        1 - chance_to_win(x_c, n_c, x_t, n_t), abs=2e-6
    )


def test_prob_below_is_monotone_in_threshold() -> None:
    values = [prob_relative_lift_below(300, 10000, 345, 10000, t) for t in (-0.5, 0.0, 0.1, 0.5)]
    assert values == sorted(values)
    assert values[0] < 0.001
    assert values[-1] > 0.999
    assert prob_relative_lift_below(300, 10000, 345, 10000, -1.0) == 0.0
