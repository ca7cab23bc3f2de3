"""Benjamini-Hochberg control of the false discovery rate across many comparisons.

Industries times variants times metrics make dozens of tests; at 5% each, some "wins" are noise.
BH step-up: sort the m p-values, p_(1) ≤ … ≤ p_(m); the adjusted value of p_(i) is
min_{j ≥ i} min(1, m·p_(j)/j); reject where adjusted ≤ q. Controls the FDR at q for
independent or positively dependent tests (Benjamini & Hochberg 1995).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from persx.engine.statistics._checks import as_float_array

__all__ = ["BHResult", "benjamini_hochberg"]


@dataclass(frozen=True, slots=True)
class BHResult:
    """Adjusted p-values and rejections, in the order the p-values were given."""

    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    q: float

    @property
    def n_rejected(self) -> int:
        return sum(self.rejected)


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> BHResult:
    """BH-adjusted p-values and which hypotheses are rejected at FDR ``q``."""
    if not 0 < q < 1:
        raise ValueError(f"q must be in (0, 1), got {q}")
    p = as_float_array(p_values)
    if p.ndim != 1:
        raise ValueError("p_values must be a flat sequence")
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.size
    if m == 0:
        return BHResult((), (), q)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return BHResult(
        adjusted=tuple(float(a) for a in adjusted),
        rejected=tuple(bool(a <= q) for a in adjusted),
        q=q,
    )
