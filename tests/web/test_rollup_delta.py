"""The incremental rollup merges signed deltas into the daily cells (counts add, a visitor's
old contribution is subtracted before the new one is added): it must end where a rebuild
ends, row for row, whatever the steps.

Each test stores events in several runs of ``update_rollups`` (small steps, so visitors'
histories straddle step boundaries and earlier events are read back through the visitor
index), snapshots every rollup table, rebuilds, and compares. The random history is also
held to the Python oracle of ``test_rollup_oracle`` (rules only, not the SQL).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from persx.analytics.models import DailyRollup
from persx.analytics.services import rebuild_rollups, update_rollups
from persx.events.models import Event
from tests.web.analytics_events import DAY0, EventLog, at
from tests.web.test_analytics_rollups import snapshot, totals
from tests.web.test_rollup_oracle import (
    history_with_visits,
    oracle,
    rolled_up,
    same,
)

pytestmark = pytest.mark.django_db


def _store_and_fold(*logs: EventLog, batch_size: int = 2) -> None:
    for log in logs:
        log.save()
        update_rollups(batch_size=batch_size)


def _rebuilt_equals(incremental: tuple[list[tuple[object, ...]], ...]) -> bool:
    rebuild_rollups(batch_size=1000)
    return snapshot() == incremental


def test_a_cell_left_without_visitors_is_deleted_as_a_rebuild_has_none() -> None:
    # The only visitor first exposed on day 1 turns out to have been exposed on day 0.
    _store_and_fold(
        EventLog().exposure("v", at(1), arm="control").event("cta_click", "v", at(1, 11)),
        EventLog().exposure("v", at(0), arm="personalized"),
    )
    days = set(DailyRollup.objects.filter(experiment="exp-a").values_list("day", flat=True))
    assert days == {DAY0.date(), DAY0.date() + timedelta(days=1)}  # exposed; clicked
    assert totals("exp-a", "form_submission") == {"personalized": (1, 0, 0.0, 0.0)}
    assert totals("exp-a", "cta_click") == {"personalized": (1, 1, 0.0, 0.0)}
    # Day 1 holds the click's conversion only: no control rows, no visitor counted there.
    day1 = DailyRollup.objects.filter(experiment="exp-a", day=DAY0.date() + timedelta(days=1))
    assert {(r.arm, r.metric, r.visitors, r.conversions) for r in day1} == {
        ("personalized", "cta_click", 0, 1)
    }
    assert _rebuilt_equals(snapshot())


def test_a_bounce_is_taken_back_when_a_later_step_brings_a_second_page_view() -> None:
    _store_and_fold(
        EventLog().exposure("b", at(0), arm="control").event("page_view", "b", at(0)),
    )
    assert totals("exp-a", "bounce")["control"][:2] == (1, 1)
    _store_and_fold(EventLog().event("page_view", "b", at(2)))  # came back two days later
    assert totals("exp-a", "bounce")["control"][:2] == (1, 0)
    assert totals("exp-a", "return_visit")["control"][:2] == (1, 1)
    assert _rebuilt_equals(snapshot())


def test_a_replaced_first_exposure_moves_the_visitor_across_the_consent_line() -> None:
    # First seen with consent declined (not counted), then an earlier exposure arrives
    # with consent unknown: the visitor and their conversion now count, once.
    _store_and_fold(
        EventLog()
        .exposure("c", at(0, 12), arm="control", consent="denied")
        .event("form_submission", "c", at(0, 13)),
        EventLog().exposure("c", at(0, 9), arm="control"),
    )
    assert totals("exp-a", "form_submission") == {"control": (1, 1, 0.0, 0.0)}
    assert _rebuilt_equals(snapshot())


def test_a_random_history_in_many_small_steps_ends_where_a_rebuild_ends() -> None:
    history = history_with_visits(seed=7)
    fifth = len(history) // 5
    for part in range(5):
        Event.objects.bulk_create(history[part * fifth : (part + 1) * fifth if part < 4 else None])
        update_rollups(batch_size=37)
    incremental = snapshot()
    stored = list(Event.objects.filter(visitor_id__startswith="oracle"))
    assert same(rolled_up(), oracle(stored))
    metrics = {row[5] for row in incremental[2]}
    assert {"bounce", "return_visit", "form_completion"} <= metrics  # the extras counted
    assert _rebuilt_equals(incremental)
