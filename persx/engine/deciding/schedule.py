"""Variant scheduling: a variant may be live only between ``live_from`` and ``live_until``.

Out of its window a variant is treated as absent: the visitor gets the next most specific
live variant (persona > industry), or generic. When the visitor gets generic although one
of their variants exists, the reason is ``variant_scheduled`` (not ``variant_missing``), so
"why did I see generic?" has an honest answer.

The time comes in through the :class:`~persx.engine.ports.WallClock` port, read once per
page (:func:`availability`), so every block of a page is judged at the same instant.
Windows are half-open: live from ``live_from`` (inclusive) until ``live_until`` (exclusive).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from persx.engine.deciding.decision import VARIANT_SCHEDULED, Decision, Reason
from persx.engine.deciding.experiments import VisitorAssignment, decide_block


class WindowState(StrEnum):
    UPCOMING = "upcoming"
    LIVE = "live"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Window:
    """When a variant is live; ``None`` on either side means unbounded."""

    live_from: datetime | None = None
    live_until: datetime | None = None

    def state(self, now: datetime) -> WindowState:
        if self.live_from is not None and now < self.live_from:
            return WindowState.UPCOMING
        if self.live_until is not None and now >= self.live_until:
            return WindowState.EXPIRED
        return WindowState.LIVE

    def is_live(self, now: datetime) -> bool:
        return self.state(now) is WindowState.LIVE

    @property
    def is_empty(self) -> bool:
        """``live_until`` at or before ``live_from``: never live (an editing mistake)."""
        return (
            self.live_from is not None
            and self.live_until is not None
            and self.live_until <= self.live_from
        )


ALWAYS = Window()


@dataclass(frozen=True, slots=True)
class Availability:
    """A block's variants at one instant: the live ones, and those out of their window."""

    live: Container[str]
    scheduled_out: frozenset[str] = frozenset()


def availability(
    variant_keys: Container[str], windows: Mapping[str, Window], now: datetime
) -> Availability:
    """Which of a block's variants are live at ``now``.

    ``windows`` holds only the scheduled variants (the rest are always live), so a block
    without schedules costs one empty-dict check and keeps its own container.
    """
    if not windows:
        return Availability(variant_keys)
    out = frozenset(k for k, w in windows.items() if k in variant_keys and not w.is_live(now))
    if not out:
        return Availability(variant_keys)
    return Availability(_Without(variant_keys, out), out)


@dataclass(frozen=True, slots=True)
class _Without:
    keys: Container[str]
    removed: frozenset[str]

    def __contains__(self, key: object) -> bool:
        return key not in self.removed and key in self.keys


def decide_scheduled_block(
    visitor: VisitorAssignment,
    available: Availability,
    block_type: str = "",
    page_id: str = "",
) -> Decision:
    """:func:`~persx.engine.deciding.experiments.decide_block` over the live variants only; generic
    because the visitor's own variant is out of its window → ``variant_scheduled``."""
    decision = decide_block(visitor, available.live, block_type, page_id)
    if (
        available.scheduled_out
        and decision.reason is Reason.VARIANT_MISSING
        and any(key in available.scheduled_out for key in visitor.audience_keys)
    ):
        return VARIANT_SCHEDULED
    return decision
