"""Per-arm sufficient statistics of account-level (cluster) data (docs/statistics.md).

When several visitors of one account (company) see an experiment, their outcomes are
correlated, so the independent unit is the account, not the visitor. Everything the
account-level analyses (:mod:`.clustered`, :mod:`.regression_adjustment`) need from an arm
is a handful of sums over its accounts i = 1..k, each with N_i visitors, an outcome total
Y_i (conversions, or a value such as pipeline amount) and, optionally, a pre-exposure
covariate total X_i (the same visitors' engagement before they were exposed):

    k, ΣN_i, ΣY_i, ΣX_i, ΣN_i², ΣY_i², ΣX_i², ΣN_i·Y_i, ΣN_i·X_i, ΣX_i·Y_i.

A visitor not linked to a known account is an account of its own (N_i = 1), so
visitor-level data are the special case where every N_i is 1, and the same formulas apply.

Fields accept scalars or numpy arrays of the same shape: the scalar APIs take one arm's
numbers, the vectorised cores many simulated arms at once.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import FloatArray, as_float_array

__all__ = ["AccountSums", "account_sums", "check_account_sums"]


@dataclass(frozen=True, slots=True)
class AccountSums:
    """One arm's sums over its accounts (scalars, or arrays for many arms at once).

    ``visitors_sq`` is ΣN_i², ``outcome_visitors`` ΣN_i·Y_i, ``covariate_visitors``
    ΣN_i·X_i and ``covariate_outcome`` ΣX_i·Y_i. The covariate sums stay 0 when there is no
    covariate.
    """

    accounts: npt.ArrayLike
    visitors: npt.ArrayLike
    outcome: npt.ArrayLike
    visitors_sq: npt.ArrayLike
    outcome_sq: npt.ArrayLike
    outcome_visitors: npt.ArrayLike
    covariate: npt.ArrayLike = 0.0
    covariate_sq: npt.ArrayLike = 0.0
    covariate_visitors: npt.ArrayLike = 0.0
    covariate_outcome: npt.ArrayLike = 0.0

    def arrays(self) -> tuple[FloatArray, ...]:
        """The ten sums as float arrays, broadcast to one shape, in field order."""
        return tuple(
            np.broadcast_arrays(
                *(
                    as_float_array(value)
                    for value in (
                        self.accounts,
                        self.visitors,
                        self.outcome,
                        self.visitors_sq,
                        self.outcome_sq,
                        self.outcome_visitors,
                        self.covariate,
                        self.covariate_sq,
                        self.covariate_visitors,
                        self.covariate_outcome,
                    )
                )
            )
        )


def account_sums(
    account_ids: Sequence[Hashable | None],
    outcomes: npt.ArrayLike,
    covariates: npt.ArrayLike | None = None,
) -> AccountSums:
    """One arm's sums from visitor rows: each visitor's account (None when unknown), outcome
    and optional pre-exposure covariate. A visitor without an account is its own account.

    >>> s = account_sums(["acme", "acme", None], [1, 0, 1])
    >>> (s.accounts, s.visitors, s.outcome, s.visitors_sq, s.outcome_visitors)
    (2, 3.0, 2.0, 5.0, 3.0)
    """
    y = as_float_array(outcomes)
    x = np.zeros_like(y) if covariates is None else as_float_array(covariates)
    if y.shape != (len(account_ids),) or x.shape != y.shape:
        raise ValueError("account_ids, outcomes and covariates must have one entry per visitor")
    if len(account_ids) == 0:
        raise ValueError("an arm needs at least one visitor")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(x))):
        raise ValueError("outcomes and covariates must be finite numbers")
    index: dict[Hashable, int] = {}
    cluster = np.empty(len(account_ids), dtype=np.int64)
    for row, account in enumerate(account_ids):
        key: Hashable = ("visitor", row) if account is None else ("account", account)
        cluster[row] = index.setdefault(key, len(index))
    k = len(index)
    n_i = np.bincount(cluster, minlength=k).astype(np.float64)
    y_i = np.bincount(cluster, weights=y, minlength=k)
    x_i = np.bincount(cluster, weights=x, minlength=k)
    return AccountSums(
        accounts=k,
        visitors=float(n_i.sum()),
        outcome=float(y_i.sum()),
        visitors_sq=float(n_i @ n_i),
        outcome_sq=float(y_i @ y_i),
        outcome_visitors=float(n_i @ y_i),
        covariate=float(x_i.sum()),
        covariate_sq=float(x_i @ x_i),
        covariate_visitors=float(n_i @ x_i),
        covariate_outcome=float(x_i @ y_i),
    )


def check_account_sums(sums: AccountSums, arm: str) -> None:
    """Reject sums that no set of accounts could produce (scalar APIs only).

    At least two accounts (a variance needs two), every account at least one visitor
    (ΣN ≥ k), and the Cauchy-Schwarz bounds k·ΣN² ≥ (ΣN)², k·ΣY² ≥ (ΣY)², k·ΣX² ≥ (ΣX)²
    (with a relative tolerance for rounding).
    """
    k, n, y, nn, yy, _, x, xx, _, _ = (float(a.reshape(-1)[0]) for a in sums.arrays())
    values = (k, n, y, nn, yy, x, xx)
    if not all(np.isfinite(values)):
        raise ValueError(f"{arm}: the sums must be finite numbers")
    if k < 2 or k != int(k):
        raise ValueError(f"{arm}: accounts must be a whole number of at least 2, got {k}")
    if n < k:
        raise ValueError(f"{arm}: visitors must be at least the number of accounts, got {n}")
    for name, total, squares in (
        ("visitors_sq", n, nn),
        ("outcome_sq", y, yy),
        ("covariate_sq", x, xx),
    ):
        if k * squares < total * total * (1 - 1e-9):
            raise ValueError(f"{arm}: {name} must be at least (sum)²/accounts, got {squares}")
