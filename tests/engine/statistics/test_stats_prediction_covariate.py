"""The prediction covariate: hierarchically shrunk cell means, cross-fitted on control data.

docs/statistics.md, "Regression adjustment for new visitors". Hand-computed values and the
two leakage guards (no treated outcome and no unit's own outcome reaches its covariate).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from persx.engine.statistics import AccountSums, cross_fitted_predictions, group_sums


def test_a_cell_is_shrunk_toward_its_parent_by_the_prior_strength() -> None:
    # Two attributes; fold 1 is fitted on fold 0's control groups only.
    # Fold 0: groups (a=0, b=0) n=30 Σy=3 and (a=0, b=1) n=10 Σy=4; (a=1, b=0) n=0.
    levels = [[0, 0], [0, 1], [1, 0], [0, 0], [0, 1], [1, 0]]
    folds = [0, 0, 0, 1, 1, 1]
    visitors = [30, 10, 0, 0, 0, 0]
    outcome = [3, 4, 0, 0, 0, 0]
    got = cross_fitted_predictions(levels, folds, visitors, outcome, strength=10)
    grand = 7 / 40
    a0 = (7 + 10 * grand) / (40 + 10)
    a1 = (0 + 10 * grand) / (0 + 10)  # nothing seen: the parent's value
    b00 = (3 + 10 * a0) / (30 + 10)
    b01 = (4 + 10 * a0) / (10 + 10)
    assert got[3:].tolist() == pytest.approx([b00, b01, a1])
    # Fold 0 has nothing to fit on in fold 1: its predictions are undefined.
    assert all(math.isnan(v) for v in got[:3])


def test_no_treated_outcome_and_no_own_outcome_reaches_a_prediction() -> None:
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 3, size=(40, 2))
    folds = np.arange(40) % 2
    visitors = rng.integers(1, 50, size=40).astype(float)
    outcome = rng.binomial(visitors.astype(int), 0.2).astype(float)
    control = np.arange(40) < 20
    fit_n, fit_y = visitors * control, outcome * control
    base = cross_fitted_predictions(levels, folds, fit_n, fit_y)
    # A treated group's outcome is not fitting data, so it cannot move anything...
    assert np.array_equal(base, cross_fitted_predictions(levels, folds, fit_n, fit_y))
    # ...and a control group's own outcome moves only the other fold's predictions.
    moved = fit_y.copy()
    moved[0] += 10
    again = cross_fitted_predictions(levels, folds, fit_n, moved)
    same_fold = folds == folds[0]
    assert np.array_equal(again[same_fold], base[same_fold])
    assert not np.array_equal(again[~same_fold], base[~same_fold])


def test_runs_are_fitted_independently() -> None:
    levels = [[0], [1], [0], [1]]
    folds = [0, 0, 1, 1]
    visitors = np.array([[10, 10, 10, 10], [20, 0, 20, 0]], dtype=float)
    outcome = np.array([[1, 5, 3, 7], [2, 0, 6, 0]], dtype=float)
    got = cross_fitted_predictions(levels, folds, visitors, outcome, strength=10)
    assert got.shape == (2, 4)
    assert got[0].tolist() == pytest.approx([0.4, 0.6, 0.2, 0.4])
    # Run 2: fold 0 sees only fold 1's level-0 cell (n=20, Σy=6): grand 0.3.
    assert got[1].tolist() == pytest.approx([(6 + 3) / 30, 0.3, (2 + 1) / 30, 0.1])


@pytest.mark.parametrize(
    ("levels", "folds", "visitors", "outcome", "strength", "message"),
    [
        ([0, 1], [0, 1], [1, 1], [0, 0], 1.0, "levels"),
        ([[0], [1]], [0], [1, 1], [0, 0], 1.0, "levels"),
        ([[0], [1]], [0, 1], [1, 1], [0], 1.0, "one entry per group"),
        ([[0], [1]], [0, 1], [1, 1, 1], [0, 0, 0], 1.0, "one entry per group"),
        ([[0], [1]], [0, 1], [1, 1], [0, 0], 0.0, "strength"),
        ([[0], [1]], [0, 1], [1, -1], [0, 0], 1.0, "non-negative"),
    ],
)
def test_bad_input_is_refused_naming_it(
    levels: object, folds: object, visitors: object, outcome: object, strength: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cross_fitted_predictions(levels, folds, visitors, outcome, strength)  # type: ignore[arg-type]


def test_group_sums_are_the_visitor_level_sums_of_the_expanded_visitors() -> None:
    # Groups of 2 and 3 visitors with predictions 0.5 and 1.0; outcomes 0/1.
    y = np.array([1, 0, 1, 1, 0], dtype=float)
    x = np.array([0.5, 0.5, 1.0, 1.0, 1.0])
    s = group_sums([2, 3], [1, 2], [1, 2], [0.5, 1.0])
    expected = AccountSums(
        accounts=5.0,
        visitors=5.0,
        outcome=y.sum(),
        visitors_sq=5.0,
        outcome_sq=float(y @ y),
        outcome_visitors=y.sum(),
        covariate=x.sum(),
        covariate_sq=float(x @ x),
        covariate_visitors=x.sum(),
        covariate_outcome=float(x @ y),
    )
    assert s == expected


def test_group_sums_keep_the_runs_axis() -> None:
    s = group_sums([[2, 3], [1, 1]], [[1, 2], [0, 1]], [[1, 2], [0, 1]], [[0.5, 1.0], [1.0, 2.0]])
    assert np.asarray(s.covariate_outcome).tolist() == [2.5, 2.0]
    assert np.asarray(s.accounts).tolist() == [5.0, 2.0]
