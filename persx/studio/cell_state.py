"""The one rule for a coverage cell's state: what one audience gets from one block.

Pure (no Django): the coverage matrix gathers the facts, this decides. Precedence, first
match wins:

- the audience has its own variant:
  out of its live window → ``scheduled`` (upcoming or expired);
  flagged by the reports → ``underperforming``;
  no review for :data:`STALE_AFTER` → ``stale``; otherwise ``live``;
- no own variant: a draft awaits review → ``draft``; a persona whose industry variant is
  live → ``inherited`` (the persona is served the industry's copy); otherwise ``generic``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from persx.engine.deciding.schedule import Window, WindowState

STALE_AFTER = timedelta(days=90)


class CellState(StrEnum):
    GENERIC = "generic"
    INHERITED = "inherited"
    DRAFT = "draft"
    LIVE = "live"
    SCHEDULED = "scheduled"
    STALE = "stale"
    UNDERPERFORMING = "underperforming"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS = {
    CellState.GENERIC: "Generic only",
    CellState.INHERITED: "Industry variant",
    CellState.DRAFT: "Draft awaiting review",
    CellState.LIVE: "Variant live",
    CellState.SCHEDULED: "Scheduled",
    CellState.STALE: "Stale (no review for 90 days)",
    CellState.UNDERPERFORMING: "Underperforming",
}

# States in which the audience is served a variant written for it (or its industry) now.
SERVED = frozenset(
    {CellState.LIVE, CellState.STALE, CellState.UNDERPERFORMING, CellState.INHERITED}
)


@dataclass(frozen=True, slots=True)
class CellFacts:
    has_variant: bool
    window: Window | None = None
    last_review: datetime | None = None
    underperforming: bool = False
    has_draft: bool = False
    industry_variant_live: bool = False  # for persona cells


@dataclass(frozen=True, slots=True)
class CellVerdict:
    state: CellState
    detail: str = ""  # e.g. "from 1 Mar 2027", "until 15 Mar 2027 (expired)"


def _when(value: datetime) -> str:
    return f"{value:%d %b %Y %H:%M} UTC"


def cell_state(facts: CellFacts, now: datetime) -> CellVerdict:
    if facts.has_variant:
        window = facts.window
        if window is not None:
            state = window.state(now)
            if state is WindowState.UPCOMING and window.live_from is not None:
                return CellVerdict(CellState.SCHEDULED, f"upcoming: from {_when(window.live_from)}")
            if state is WindowState.EXPIRED and window.live_until is not None:
                return CellVerdict(CellState.SCHEDULED, f"expired: {_when(window.live_until)}")
        if facts.underperforming:
            return CellVerdict(CellState.UNDERPERFORMING, "flagged by the reports")
        if facts.last_review is not None and now - facts.last_review > STALE_AFTER:
            return CellVerdict(CellState.STALE, f"last reviewed {facts.last_review:%d %b %Y}")
        if window is not None and window.live_until is not None:
            return CellVerdict(CellState.LIVE, f"until {_when(window.live_until)}")
        return CellVerdict(CellState.LIVE)
    if facts.has_draft:
        return CellVerdict(CellState.DRAFT)
    if facts.industry_variant_live:
        return CellVerdict(CellState.INHERITED, "served the industry's variant")
    return CellVerdict(CellState.GENERIC)
