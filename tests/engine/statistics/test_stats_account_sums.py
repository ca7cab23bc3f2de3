"""Per-arm account sums from visitor rows (docs/statistics.md, "Account-level inference")."""

from __future__ import annotations

import numpy as np
import pytest

from persx.engine.statistics import AccountSums, account_sums


def test_visitors_share_their_account_and_the_unknown_are_accounts_of_one() -> None:
    # acme: 2 visitors, outcomes 1 + 0 = 1, covariates 2 + 1 = 3; two unknown visitors, each
    # an account of one: (y, x) = (1, 0) and (0, 4); initech: 1 visitor, (3, 1).
    sums = account_sums(
        ["acme", None, "acme", "initech", None],
        [1, 1, 0, 3, 0],
        [2, 0, 1, 1, 4],
    )
    # Accounts (N, Y, X): acme (2, 1, 3), unknown (1, 1, 0), initech (1, 3, 1), unknown (1, 0, 4).
    assert sums == AccountSums(
        accounts=4,
        visitors=5.0,
        outcome=5.0,
        visitors_sq=4 + 1 + 1 + 1,
        outcome_sq=1 + 1 + 9 + 0,
        outcome_visitors=2 * 1 + 1 + 3 + 0,
        covariate=8.0,
        covariate_sq=9 + 0 + 1 + 16,
        covariate_visitors=2 * 3 + 0 + 1 + 4,
        covariate_outcome=3 * 1 + 0 + 1 * 3 + 0,
    )


def test_docstring_example_and_no_covariate() -> None:
    sums = account_sums(["acme", "acme", None], [1, 0, 1])
    assert (sums.accounts, sums.visitors, sums.outcome, sums.visitors_sq) == (2, 3.0, 2.0, 5.0)
    assert sums.outcome_visitors == 3.0
    assert (sums.covariate, sums.covariate_sq, sums.covariate_outcome) == (0.0, 0.0, 0.0)


def test_arrays_broadcast_scalars_to_the_shape_of_many_arms() -> None:
    sums = AccountSums(
        accounts=3,
        visitors=np.array([3.0, 4.0]),
        outcome=1,
        visitors_sq=5,
        outcome_sq=1,
        outcome_visitors=2,
    )
    arrays = sums.arrays()
    assert len(arrays) == 10
    assert all(a.shape == (2,) and a.dtype == np.float64 for a in arrays)
    assert list(arrays[0]) == [3.0, 3.0]


@pytest.mark.parametrize(
    ("ids", "outcomes", "covariates", "message"),
    [
        (["a", "b"], [1.0], None, "one entry per visitor"),
        (["a", "b"], [1.0, 0.0], [1.0], "one entry per visitor"),
        ([], [], None, "at least one visitor"),
        (["a", "b"], [1.0, float("nan")], None, "finite"),
        (["a", "b"], [1.0, 0.0], [float("inf"), 0.0], "finite"),
    ],
)
def test_bad_rows_are_refused(
    ids: list[str], outcomes: list[float], covariates: list[float] | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        account_sums(ids, outcomes, covariates)
