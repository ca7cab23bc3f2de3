"""How fresh the rollups the reports read are: when they were last updated, and how many
stored events they do not count yet (read only; the update is in ``services``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from persx.analytics.models import RollupState
from persx.analytics.services import STATE_NAME
from persx.events.models import Event


@dataclass(frozen=True, slots=True)
class RollupFreshness:
    updated_at: datetime | None  # None: never rolled up
    age_seconds: float | None
    events_waiting: int  # stored events above the watermark
    refreshed_now: bool  # this page load ran the update
    refresh_after_seconds: float  # pages update rollups older than this (0: never)

    @property
    def age_text(self) -> str:
        """``"12 s ago"``, ``"4 min ago"``, ``"3 h ago"``, ``"2 days ago"`` or ``"never"``."""
        if self.age_seconds is None:
            return "never"
        seconds = max(0, int(self.age_seconds))
        if seconds < 120:
            return f"{seconds} s ago"
        if seconds < 2 * 3600:
            return f"{seconds // 60} min ago"
        if seconds < 2 * 86400:
            return f"{seconds // 3600} h ago"
        return f"{seconds // 86400} days ago"


def rollup_freshness(
    refreshed_now: bool = False, refresh_after_seconds: float = 0.0
) -> RollupFreshness:
    state = RollupState.objects.filter(name=STATE_NAME).first()
    updated = state.updated_at if state else None
    watermark = state.last_event_id if state else 0
    age = (timezone.now() - updated).total_seconds() if updated else None
    waiting = Event.objects.filter(id__gt=watermark).count()
    return RollupFreshness(updated, age, waiting, refreshed_now, refresh_after_seconds)
