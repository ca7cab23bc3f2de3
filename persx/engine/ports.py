"""Small ports through which the outside world reaches the engine."""

from __future__ import annotations

from typing import Protocol


class MonotonicClock(Protocol):
    """Seconds from an arbitrary origin; only differences are meaningful."""

    def __call__(self) -> float: ...
