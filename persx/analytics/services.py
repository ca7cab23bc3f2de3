"""Writes of the analytics app: the rollups, and the simulation's experiment and backfill.

``update_rollups()`` folds the events stored since the last run into the rollups;
``rebuild_rollups()`` empties them and folds every event again. Both work in steps of
``batch_size`` event ids, one transaction per step (see :mod:`persx.analytics.rollup_sql`),
and both give the same tables for the same events.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from persx.analytics import rollup_sql
from persx.analytics.models import (
    DailyRollup,
    ExperimentVisitor,
    RollupState,
    VisitorConversion,
)
from persx.events.models import Event
from persx.events.sqlite_pragmas import sqlite_pragma
from persx.experiments.models import Experiment

STATE_NAME = "rollups"
DEFAULT_BATCH_SIZE = 250_000
# On PostgreSQL a transaction that took an event id may commit after a later one; each run
# re-reads this many ids below the watermark (harmless: every step is idempotent). SQLite
# serialises writers, so ids become visible in order there.
POSTGRES_REREAD_IDS = 2_000
SQLITE_CACHE_KIB = -262_144  # negative: KiB

# (events done, events to do) after each step.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RollupRun:
    events: int  # events read in this run
    first_id: int  # exclusive lower bound
    last_id: int  # the new watermark
    seconds: float
    rebuilt: bool

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf


def _dialect() -> rollup_sql.Dialect:
    return rollup_sql.Dialect(connection.vendor)


def _execute(statements: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _fold(lo: int, hi: int) -> None:
    """Fold the events with ``lo < id <= hi`` into the rollups (caller holds a transaction)."""
    dialect = _dialect()
    with connection.cursor() as cursor:
        for statement in rollup_sql.collect(dialect):  # each parameterised one: (lo, hi)
            cursor.execute(statement, [lo, hi] if "%s" in statement else None)
    _execute(rollup_sql.remember_cells_before(dialect))
    _execute([rollup_sql.upsert_experiment_visitors(dialect)])
    _execute(rollup_sql.load_visitor_histories(dialect))
    _execute(rollup_sql.recompute_conversions(dialect))
    _execute(rollup_sql.remember_cells_after(dialect))
    _execute(rollup_sql.recompute_daily_cells())
    _execute(rollup_sql.drop_temp_tables(dialect))


def _state_for_update() -> RollupState:
    RollupState.objects.get_or_create(name=STATE_NAME)
    return RollupState.objects.select_for_update().get(name=STATE_NAME)


def _run(
    rebuild: bool, batch_size: int, progress: Progress | None, until_id: int | None
) -> RollupRun:
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    # SQLite: a 256 MB page cache for this connection while rolling up (default 2 MB), so
    # the index updates of a big step stay in memory.
    with sqlite_pragma("cache_size", SQLITE_CACHE_KIB):
        return _run_steps(rebuild, batch_size, progress, until_id)


def _step_end(lo: int, batch_size: int, top: int) -> int:
    """The id that closes a step of ``batch_size`` *existing* events after ``lo``.

    Ids are sparse (PostgreSQL sequences skip rolled-back inserts; deleted visitors leave
    gaps), so stepping over the id range would run many empty steps.
    """
    ids = list(
        Event.objects.filter(id__gt=lo, id__lte=top)
        .order_by("id")
        .values_list("id", flat=True)[batch_size - 1 : batch_size]
    )
    return ids[0] if ids else top


def _run_steps(
    rebuild: bool, batch_size: int, progress: Progress | None, until_id: int | None
) -> RollupRun:
    started = time.perf_counter()
    with transaction.atomic():
        state = _state_for_update()
        if rebuild:
            DailyRollup.objects.all().delete()
            VisitorConversion.objects.all().delete()
            ExperimentVisitor.objects.all().delete()
            state.last_event_id = 0
            state.events_processed = 0
            state.rebuilt_at = timezone.now()
            state.save()
        watermark = state.last_event_id
    top = Event.objects.aggregate(top=Max("id"))["top"] or 0
    if until_id is not None:
        top = min(top, until_id)
    reread = 0 if rebuild or connection.vendor == "sqlite" else POSTGRES_REREAD_IDS
    first = max(0, watermark - reread)
    total = max(0, top - first)
    lo = first
    if progress:
        progress(0, total)
    while lo < top:
        hi = _step_end(lo, batch_size, top)
        with transaction.atomic():
            state = _state_for_update()  # one run at a time (row lock on PostgreSQL)
            _fold(lo, hi)
            state.events_processed += max(0, hi - max(lo, state.last_event_id))
            state.last_event_id = max(state.last_event_id, hi)
            state.updated_at = timezone.now()
            state.save()
        lo = hi
        if progress:
            progress(hi - first, total)
    return RollupRun(
        events=total,
        first_id=first,
        last_id=max(top, watermark),
        seconds=time.perf_counter() - started,
        rebuilt=rebuild,
    )


def update_rollups(
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    until_id: int | None = None,
) -> RollupRun:
    """Fold the events stored since the last run (id above the watermark) into the rollups."""
    return _run(False, batch_size, progress, until_id)


def rebuild_rollups(
    batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> RollupRun:
    """Empty the rollups and fold every stored event again."""
    return _run(True, batch_size, progress, None)


# --- simulation support -------------------------------------------------------------------

SIMULATION_EXPERIMENT = "pli-contact"


def ensure_simulation_experiment(key: str = SIMULATION_EXPERIMENT) -> tuple[Experiment, bool]:
    """The experiment the simulation measures; created (running) when missing.

    Control = generic, treatment = personalized, 50/50, on the contact form block. An
    existing experiment is used as it is (a stopped or draft one is left alone: the caller
    sees ``created=False`` and its status).
    """
    from persx.experiments.services import create_experiment

    existing = Experiment.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    experiment = create_experiment(
        key=key,
        name="Personalized vs generic contact form",
        hypothesis=(
            "Visitors who see the contact form written for their industry or persona submit "
            "it more often than visitors who see the generic form (PLI > 15%)."
        ),
        status=Experiment.Status.RUNNING,
        scope_kind=Experiment.ScopeKind.BLOCK_TYPE,
        scope_value="contact_form",
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
        secondary_metrics=[
            "cta_click",
            "engagement",
            "form_completion",
            "email_signup",
            "bounce",
            "return_visit",
        ],
    )
    return experiment, True


def shift_visitor_histories(
    days_back: Mapping[str, int],
    later_visits: Mapping[str, tuple[datetime, int]] | None = None,
    chunk: int = 500,
) -> int:
    """Backfill: move every event of each visitor ``days_back[visitor]`` days into the past.

    The site stamps server-side events (exposures, page views, form submissions) with the
    time they happen, so a simulated history over past days is made by running the visitors
    now and shifting each visitor's whole history afterwards (their events keep their order
    and spacing). ``later_visits[visitor] = (since, days)`` then moves that visitor's events
    stamped at or after ``since`` (before the shift) ``days`` days later again: a return
    visit on another day. Run the rollups afterwards (``rebuild_rollups()`` if they may
    already hold these events). Returns the number of events moved into the past.
    """
    by_offset: dict[int, list[str]] = {}
    for visitor_id, offset in days_back.items():
        if offset > 0:
            by_offset.setdefault(offset, []).append(visitor_id)
    moved = 0
    with transaction.atomic():
        for offset, visitors in sorted(by_offset.items()):
            delta = timedelta(days=offset)
            for start in range(0, len(visitors), chunk):
                moved += Event.objects.filter(
                    visitor_id__in=visitors[start : start + chunk]
                ).update(occurred_at=F("occurred_at") - delta, received_at=F("received_at") - delta)
        for visitor_id, (since, days) in (later_visits or {}).items():
            shifted_since = since - timedelta(days=days_back.get(visitor_id, 0))
            delta = timedelta(days=days)
            Event.objects.filter(visitor_id=visitor_id, occurred_at__gte=shifted_since).update(
                occurred_at=F("occurred_at") + delta, received_at=F("received_at") + delta
            )
    return moved
