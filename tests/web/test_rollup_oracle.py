"""Rollups against an oracle computed in Python from the raw events (not from the SQL).

A planted random history (fixed seed): 160 visitors of one experiment, two arms, three
industries, several exposures each over a week, conversions, CTA clicks and engagement
seconds before and after their first exposure. The events are stored in a shuffled order
(late arrivals: an earlier exposure with a higher id) in four parts, with an incremental
``update_rollups`` in small steps after each part; then ``rebuild_rollups``. Both must give,
cell by cell, what the oracle below derives from the rules alone:

* a visitor counts in the (first exposure day, arm, industry, variant) of their earliest
  exposure (ties: the earlier id);
* a metric's conversions count each visitor once, on the day of their first event of that
  type at or after the first exposure; its value sums are the visitor's summed values
  (and their squares, per visitor).
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from persx.analytics.models import DailyRollup
from persx.analytics.services import rebuild_rollups, update_rollups
from persx.events.models import Event

pytestmark = pytest.mark.django_db

EXPERIMENT = "exp-oracle"
START = datetime(2031, 9, 1, tzinfo=UTC)
METRICS = ("form_submission", "cta_click", "engagement")
Cell = tuple[date, str, str, str, str]  # day, arm, industry, variant, metric


def planted_history(seed: int = 18) -> list[Event]:
    rng = random.Random(seed)
    events: list[Event] = []
    for n in range(160):
        visitor = f"oracle{n:04d}"
        arm = rng.choice(("control", "personalized"))
        industry = rng.choice(("saas", "healthcare", "travel"))
        variant = "generic" if arm == "control" else f"industry:{industry}"
        for _ in range(rng.randint(1, 3)):
            when = START + timedelta(minutes=rng.randint(0, 7 * 24 * 60))
            events.append(_event("exposure", visitor, when, arm, industry, variant))
        for kind, chance in (("form_submission", 0.3), ("cta_click", 0.4), ("engagement", 0.6)):
            for _ in range(rng.randint(1, 2) if rng.random() < chance else 0):
                when = START + timedelta(minutes=rng.randint(-600, 8 * 24 * 60))
                value = float(rng.randint(1, 90)) if kind == "engagement" else None
                events.append(_event(kind, visitor, when, value=value))
    rng.shuffle(events)
    return events


def history_with_visits(seed: int) -> list[Event]:
    """:func:`planted_history` with page views and form starts beside the oracle's metrics
    (bounces, return visits, form completions), for the same visitors, shuffled."""
    history = planted_history(seed=seed)
    rng = random.Random(seed)
    for visitor in sorted({e.visitor_id for e in history}):
        when = min(e.occurred_at for e in history if e.visitor_id == visitor)
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(("page_view", "page_view", "form_start"))
            offset = timedelta(days=rng.randint(0, 9), minutes=rng.randint(0, 600))
            history.append(_event(kind, visitor, when + offset))
    rng.shuffle(history)
    return history


def _event(
    kind: str,
    visitor: str,
    when: datetime,
    arm: str = "",
    industry: str = "",
    variant: str = "",
    value: float | None = None,
) -> Event:
    return Event(
        event_id=uuid.uuid4(),
        type=kind,
        visitor_id=visitor,
        occurred_at=when,
        received_at=when,
        page="/contact/",
        experiment=EXPERIMENT if kind == "exposure" else "",
        arm=arm,
        industry=industry,
        block="contact_form" if kind == "exposure" else "",
        variant=variant,
        would_be=variant,
        value=value,
    )


def oracle(stored: list[Event]) -> dict[Cell, tuple[int, int, float, float]]:
    """(visitors, conversions, Σvalue, Σvalue²) per cell, from the events alone."""
    first: dict[str, Event] = {}
    for e in sorted(stored, key=lambda e: (e.occurred_at, e.id)):
        if e.type == "exposure":
            first.setdefault(e.visitor_id, e)
    cells: dict[Cell, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for exposure in first.values():
        day = exposure.occurred_at.date()
        for metric in METRICS:
            cells[(day, exposure.arm, exposure.industry, exposure.variant, metric)][0] += 1
    by_visitor: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in stored:
        seen = first.get(e.visitor_id)
        if e.type in METRICS and seen is not None and e.occurred_at >= seen.occurred_at:
            by_visitor[(e.visitor_id, e.type)].append(e)
    for (visitor, metric), done in by_visitor.items():
        exposure = first[visitor]
        day = min(e.occurred_at for e in done).date()
        total = sum(e.value or 0.0 for e in done)
        cell = cells[(day, exposure.arm, exposure.industry, exposure.variant, metric)]
        cell[1] += 1
        cell[2] += total
        cell[3] += total * total
    return {k: (int(v[0]), int(v[1]), v[2], v[3]) for k, v in cells.items()}


def rolled_up() -> dict[Cell, tuple[int, int, float, float]]:
    rows = DailyRollup.objects.filter(experiment=EXPERIMENT, metric__in=METRICS)
    return {
        (r.day, r.arm, r.industry, r.variant, r.metric): (
            r.visitors,
            r.conversions,
            r.value_sum,
            r.value_sum_sq,
        )
        for r in rows
    }


def same(
    a: dict[Cell, tuple[int, int, float, float]], b: dict[Cell, tuple[int, int, float, float]]
) -> bool:
    if a.keys() != b.keys():
        return False
    return all(
        a[k][:2] == b[k][:2] and abs(a[k][2] - b[k][2]) < 1e-9 and abs(a[k][3] - b[k][3]) < 1e-6
        for k in a
    )


def test_incremental_steps_and_a_rebuild_match_the_python_oracle() -> None:
    history = planted_history()
    quarter = len(history) // 4
    for part in range(4):
        chunk = history[part * quarter : (part + 1) * quarter if part < 3 else None]
        Event.objects.bulk_create(chunk)
        update_rollups(batch_size=150)  # steps of 150 ids, the last one partial
    stored = list(Event.objects.filter(visitor_id__startswith="oracle"))
    expected = oracle(stored)
    assert sum(v[0] for k, v in expected.items() if k[4] == "form_submission") == 160
    assert sum(v[1] for v in expected.values()) > 60  # the history converts: a real check
    assert same(rolled_up(), expected)
    rebuild_rollups(batch_size=500)
    assert same(rolled_up(), expected)
