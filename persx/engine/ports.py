"""Small ports through which the outside world reaches the engine."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class MonotonicClock(Protocol):
    """Seconds from an arbitrary origin; only differences are meaningful."""

    def __call__(self) -> float: ...


class WallClock(Protocol):
    """The current time as a timezone-aware datetime (variant schedules are read against it)."""

    def __call__(self) -> datetime: ...


class RandomSource(Protocol):
    """Random draws for Monte Carlo estimates (``random.Random(seed)`` fits): injected so a
    seeded run is reproducible."""

    def betavariate(self, alpha: float, beta: float) -> float: ...
