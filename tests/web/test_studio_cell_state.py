"""The coverage cell rule (``persx.studio.cell_state``): one state per cell, in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persx.engine.deciding.schedule import Window
from persx.studio.cell_state import STALE_AFTER, CellFacts, CellState, cell_state

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=3)


def state(**facts: object) -> CellState:
    return cell_state(CellFacts(**facts), NOW).state  # type: ignore[arg-type]


def test_no_variant() -> None:
    assert state(has_variant=False) is CellState.GENERIC
    assert state(has_variant=False, has_draft=True) is CellState.DRAFT
    assert state(has_variant=False, industry_variant_live=True) is CellState.INHERITED
    assert state(has_variant=False, has_draft=True, industry_variant_live=True) is CellState.DRAFT


def test_live_variant_reviewed_recently() -> None:
    assert state(has_variant=True, last_review=RECENT) is CellState.LIVE
    assert state(has_variant=True, last_review=RECENT, has_draft=True) is CellState.LIVE


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (STALE_AFTER, CellState.LIVE),
        (STALE_AFTER + timedelta(seconds=1), CellState.STALE),
        (timedelta(days=400), CellState.STALE),
    ],
)
def test_stale_after_ninety_days_without_review(age: timedelta, expected: CellState) -> None:
    assert state(has_variant=True, last_review=NOW - age) is expected


def test_scheduled_upcoming_and_expired_with_their_dates() -> None:
    upcoming = cell_state(
        CellFacts(has_variant=True, window=Window(live_from=NOW + timedelta(days=2))), NOW
    )
    expired = cell_state(
        CellFacts(has_variant=True, window=Window(live_until=NOW - timedelta(days=2))), NOW
    )
    assert upcoming.state is CellState.SCHEDULED
    assert upcoming.detail == "upcoming: from 12 Jan 2027 12:00 UTC"
    assert expired.state is CellState.SCHEDULED
    assert expired.detail == "expired: 08 Jan 2027 12:00 UTC"
    live = cell_state(
        CellFacts(has_variant=True, window=Window(live_until=NOW + timedelta(days=1))), NOW
    )
    assert (live.state, live.detail) == (CellState.LIVE, "until 11 Jan 2027 12:00 UTC")


def test_precedence_scheduled_then_underperforming_then_stale() -> None:
    old = NOW - timedelta(days=200)
    out = Window(live_from=NOW + timedelta(days=1))
    assert (
        state(has_variant=True, window=out, underperforming=True, last_review=old)
        is CellState.SCHEDULED
    )
    assert (
        state(has_variant=True, underperforming=True, last_review=old) is CellState.UNDERPERFORMING
    )
    assert state(has_variant=True, last_review=old) is CellState.STALE
