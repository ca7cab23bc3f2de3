"""Axes: mapping values onto pixels, round tick values, and the shapes every chart shares."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def px(value: float) -> float:
    """A coordinate to one decimal (what the SVG shows)."""
    return round(value, 1)


def points(pairs: Iterable[tuple[float, float]]) -> str:
    """SVG ``points`` of a polyline or polygon: ``"x,y x,y"`` to one decimal."""
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


@dataclass(frozen=True, slots=True)
class Linear:
    """Values from ``lo`` to ``hi`` onto pixels from ``start`` to ``end`` (either way
    round: a y axis runs from the bottom up); values outside are clipped to the ends."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        clipped = min(max(value, self.lo), self.hi)
        return px(self.start + (clipped - self.lo) / (self.hi - self.lo) * (self.end - self.start))


def spread(index: int, count: int, start: float, end: float) -> float:
    """The x of the index-th of ``count`` evenly spaced points from start to end (a single
    point sits in the middle)."""
    if count <= 1:
        return px((start + end) / 2)
    return px(start + (end - start) * index / (count - 1))


@dataclass(frozen=True, slots=True)
class Tick:
    at: float  # x or y of its grid line
    label: str
    label_at: float = 0.0  # where its label sits along the same axis, when not at ``at``


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5, 5 × 10ⁿ) covering [lo, hi]."""
    span = max(hi - lo, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def lift_range(
    values: Sequence[float], floor: float = -1.0, ceiling: float = 3.0
) -> tuple[float, float]:
    """The plotted range of a lift axis: the values, 0 and +15%, clipped to [floor, ceiling],
    padded by 8% of the span on each side (never below −100%)."""
    finite_values = [v for v in values if math.isfinite(v)]
    lo = min([*finite_values, 0.0, 0.15])
    hi = max([*finite_values, 0.0, 0.15])
    lo, hi = max(lo, floor), min(hi, ceiling)
    pad = (hi - lo) * 0.08 or 0.1
    return max(lo - pad, -1.0), hi + pad


def label_indexes(count: int, step: int, with_last: bool = True) -> list[int]:
    """Which of ``count`` evenly spaced points get an axis label: every ``step``-th from the
    first, and the last one too when ``with_last``."""
    step = max(1, step)
    return [i for i in range(count) if i % step == 0 or (with_last and i == count - 1)]
