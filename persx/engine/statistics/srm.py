"""Sample ratio mismatch: do the arms' exposure counts fit the configured weights?

χ² goodness of fit, χ² = Σ (O_i - E_i)² / E_i with E_i = N·w_i / Σw and k - 1 degrees of
freedom; flagged when p < 0.001 (the conventional SRM threshold: at that level a healthy
experiment is flagged about once in a thousand checks). A mismatch means assignment or
exposure logging is broken, so the experiment's lift must not be trusted until explained.

Arms with weight 0 are left out; any exposure in one is an infinite mismatch (p = 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import FloatArray, as_float_array

__all__ = ["SRM_THRESHOLD", "SRMResult", "srm_chi2_arrays", "srm_test"]

SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class SRMResult:
    """χ² statistic, p-value and verdict of a sample-ratio check."""

    chi2: float
    p_value: float
    df: int
    flagged: bool
    observed: tuple[int, ...]
    expected: tuple[float, ...]
    threshold: float


def _normalised(weights: Sequence[float] | None, n_arms: int) -> FloatArray:
    if weights is None:
        return np.full(n_arms, 1.0 / n_arms)
    w = as_float_array(weights)
    if w.shape != (n_arms,):
        raise ValueError(f"need one weight per arm ({n_arms}), got {len(weights)}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be finite, non-negative and not all 0: {weights!r}")
    normalised: FloatArray = w / w.sum()
    return normalised


def srm_chi2_arrays(
    observed: npt.ArrayLike, weights: Sequence[float] | None = None
) -> tuple[FloatArray, FloatArray]:
    """χ² statistics and p-values for many runs at once.

    ``observed`` has shape ``(..., k)`` (counts per arm in the last axis); returns two arrays
    of shape ``(...)``.
    """
    counts = as_float_array(observed)
    if counts.ndim < 1 or counts.shape[-1] < 2:
        raise ValueError("need counts for at least two arms")
    w = _normalised(weights, counts.shape[-1])
    positive = w > 0
    total = counts.sum(axis=-1, keepdims=True)
    expected = total * w
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(positive, (counts - expected) ** 2 / expected, 0.0)
    terms = np.where(np.isnan(terms), 0.0, terms)  # no exposures at all: no evidence
    leaked = np.any((~positive) & (counts > 0), axis=-1)
    chi2: FloatArray = np.where(leaked, np.inf, terms.sum(axis=-1))
    df = int(positive.sum()) - 1
    if df < 1:
        p_value: FloatArray = np.where(leaked, 0.0, 1.0)
    else:
        from scipy import stats as _sps  # imported when used (persx.engine.statistics._checks)

        p_value = np.asarray(_sps.chi2.sf(chi2, df), dtype=np.float64)
    return chi2, p_value


def srm_test(
    observed: Sequence[int],
    weights: Sequence[float] | None = None,
    threshold: float = SRM_THRESHOLD,
) -> SRMResult:
    """Check exposure counts per arm against the configured ``weights`` (default: equal).

    Weights need not sum to 1 (they are normalised). References (docs/statistics.md): 600/400 at
    50/50 → χ² 40, p 2.54e-10 (flagged); 44,000/45,000 → χ² 11.24, p 0.00080 (flagged);
    10,000/10,050 → p 0.724.
    """
    if any(c < 0 for c in observed):
        raise ValueError(f"counts must be non-negative: {observed!r}")
    chi2, p_value = srm_chi2_arrays(list(observed), weights)
    w = _normalised(weights, len(observed))
    total = sum(observed)
    p = float(p_value)
    return SRMResult(
        chi2=float(chi2),
        p_value=p,
        df=int(np.count_nonzero(w)) - 1,
        flagged=p < threshold,
        observed=tuple(int(c) for c in observed),
        expected=tuple(float(total * wi) for wi in w),
        threshold=threshold,
    )
