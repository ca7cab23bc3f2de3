"""Capping a heavy-tailed per-unit value at a percentile (winsorizing), docs/statistics.md.

Pipeline value per visitor or per account is mostly 0 with a few very large deals; one deal
can move an arm's mean more than any treatment does. The capped variant replaces every
value above a cap by the cap. The cap is the ``percentile``-th percentile of the **positive**
values (pooled over the arms, so both arms are capped alike): B2B pipeline is positive for
far fewer than 1% of visitors, so a percentile over all values would be 0 and cap
everything. Percentiles interpolate linearly between order statistics (Hyndman and Fan
type 7, numpy's default): for sorted positives x₍₁₎..x₍ₘ₎, h = (m − 1)·p/100,
cap = x₍⌊h⌋+1₎ + (h − ⌊h⌋)·(x₍⌊h⌋+2₎ − x₍⌊h⌋+1₎). With no positive value nothing needs a
cap and the cap is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from persx.engine.statistics._checks import FloatArray, as_float_array

__all__ = ["ValueSums", "capped", "positive_percentile_cap", "value_sums"]


def positive_percentile_cap(values: npt.ArrayLike, percentile: float = 99.0) -> float:
    """The ``percentile``-th percentile (0 < percentile ≤ 100) of the positive values.

    >>> positive_percentile_cap([0, 0, 10, 20, 30, 40, 1000], 99.0)
    961.6
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    x = as_float_array(values).reshape(-1)
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise ValueError("values must be finite and not negative")
    positive = x[x > 0]
    if positive.size == 0:
        return 0.0
    return round(float(np.percentile(positive, percentile)), 12)


def capped(values: npt.ArrayLike, cap: float) -> FloatArray:
    """Each value, or ``cap`` when it is larger."""
    if not (np.isfinite(cap) and cap >= 0):
        raise ValueError(f"cap must be a finite number ≥ 0, got {cap}")
    return np.minimum(as_float_array(values), cap)


@dataclass(frozen=True, slots=True)
class ValueSums:
    """n, Σy and Σy² of per-unit values: what ``ttest.welch_ttest`` takes per arm."""

    n: int
    total: float
    total_sq: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else float("nan")


def value_sums(values: npt.ArrayLike) -> ValueSums:
    """The sums of the values (an empty list gives n = 0 and zero sums)."""
    y = as_float_array(values).reshape(-1)
    return ValueSums(int(y.size), float(y.sum()), float(y @ y))
