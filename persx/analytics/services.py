"""Writes of the analytics app: the rollups.

``update_rollups()`` folds the events stored since the last run into the rollups;
``rebuild_rollups()`` empties them and folds every event again. Both work in steps of
``batch_size`` event ids, one transaction per step (see :mod:`persx.analytics.rollup_sql`),
and both give the same tables for the same events. On PostgreSQL, outside a caller's
transaction, a step runs as ``partitions`` disjoint shares of its visitors on as many
connections at once (threads); the watermark advances only after every share committed,
and a share committed by a run that failed later is folded again harmlessly (a fold is
idempotent). ``refresh_stale_rollups()`` is the
reports' on-load update (rollups older than a setting, and events waiting).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from persx.analytics import rollup_sql
from persx.analytics.adjustment_cells import refresh_adjustment_cells
from persx.analytics.models import (
    ExperimentVisitor,
    RollupState,
    VisitorConversion,
)
from persx.events.models import Event
from persx.events.sqlite_pragmas import sqlite_pragma
from persx.privacy.consent import counted_states
from persx.privacy.mode import consent_mode

STATE_NAME = "rollups"
DEFAULT_BATCH_SIZE = 250_000
# On PostgreSQL a transaction that took an event id may commit after a later one; each run
# re-reads this many ids below the watermark (harmless: every step is idempotent). SQLite
# serialises writers, so ids become visible in order there.
POSTGRES_REREAD_IDS = 2_000
SQLITE_CACHE_KIB = -262_144  # negative: KiB
# PostgreSQL: memory for the sorts and hashes of one rollup step (the first-exposure
# ranking, the per-visitor groupings), set for the step's transaction only; the default
# 4 MB spills them to disk. One rollup runs at a time (the state row's lock).
POSTGRES_STEP_WORK_MEM = "256MB"
POSTGRES_STEP_STATISTICS = 10
# PostgreSQL: connections a step runs on at once, each with a disjoint share of its visitors
# (the database host's cores are the limit; 1: one connection, as on SQLite). Measured on
# 2 quiet cores (bench/results/20261208T020110Z-8a91b4a.txt, …020404Z-8a91b4a.txt): a
# rebuild on 2 connections took 22.9 s instead of 30.2 s; an incremental run 53.9 s instead
# of 49.9 s (each share scans the step's id range again: +58% PostgreSQL CPU), so
# incremental runs keep one connection and rebuilds take two.
DEFAULT_PARTITIONS = 1
REBUILD_PARTITIONS = 2

# (events done, events to do) after each step.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class RollupRun:
    events: int  # events read in this run
    first_id: int  # exclusive lower bound
    last_id: int  # the new watermark
    seconds: float
    rebuilt: bool
    partitions: int = 1  # connections each step ran on

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else math.inf


def _dialect() -> rollup_sql.Dialect:
    return rollup_sql.Dialect(connection.vendor)


def _execute(statements: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _fold(
    lo: int,
    hi: int,
    counted: tuple[str, ...],
    partition: rollup_sql.Partition = rollup_sql.WHOLE,
) -> None:
    """Fold the events with ``lo < id <= hi`` of ``partition``'s visitors into the rollups
    (caller holds a transaction)."""
    dialect = _dialect()
    with connection.cursor() as cursor:
        if dialect.vendor == "postgresql":
            cursor.execute(f"SET LOCAL work_mem = '{POSTGRES_STEP_WORK_MEM}'")
            # The step analyzes its temp tables (join orders, hash sizes): a sample of
            # 300 x this many rows (default 100) is plenty for that, and it is a fixed cost
            # per temp table that each partition pays again.
            cursor.execute(f"SET LOCAL default_statistics_target = {POSTGRES_STEP_STATISTICS}")
            if partition.count > 1:
                # A partition's commit need not wait for its WAL flush: the watermark's
                # transaction commits after it (synchronously), and WAL is flushed in order,
                # so a crash cannot keep the watermark and lose a partition's rows; it can
                # lose both, and the next run folds the step again.
                cursor.execute("SET LOCAL synchronous_commit = off")
        for statement, params in (
            *rollup_sql.collect(dialect, lo, hi, partition),
            *_unbound(rollup_sql.subtract_current_rows(dialect, counted)),
            (rollup_sql.upsert_experiment_visitors(dialect), None),
            *rollup_sql.load_visitor_histories(dialect, lo, hi, partition),
            *_unbound(rollup_sql.derive_conversions(dialect)),
            *_unbound(rollup_sql.add_new_rows(counted)),
            *_unbound(rollup_sql.merge_delta(partition)),
            *_unbound(rollup_sql.drop_temp_tables(dialect)),
        ):
            cursor.execute(statement, params)


def _fold_partition(
    lo: int, hi: int, counted: tuple[str, ...], partition: rollup_sql.Partition
) -> None:
    """One partition in its own transaction on this thread's own connection."""
    try:
        with transaction.atomic():
            _fold(lo, hi, counted, partition)
    finally:
        connection.close()  # the thread's connection (and its temp tables)


def _fold_partitions(lo: int, hi: int, counted: tuple[str, ...], count: int) -> None:
    """Fold a step as ``count`` partitions at once, each committed on its own; raises the
    first failure after every partition ended."""
    shares = [rollup_sql.Partition(index, count) for index in range(count)]
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="persx-rollup") as pool:
        futures = [pool.submit(_fold_partition, lo, hi, counted, share) for share in shares]
    for future in futures:
        future.result()


def _unbound(statements: list[str]) -> list[rollup_sql.Statement]:
    return [(statement, None) for statement in statements]


def _counted() -> tuple[str, ...]:
    return tuple(str(state) for state in counted_states(consent_mode()))


def _execute_with(statements: Iterable[str], params: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params if "%s" in statement else None)


def forget_visitor_contributions(visitor_ids: frozenset[str] | set[str]) -> int:
    """Erasure: delete these visitors' rows (first exposures, conversions) and re-aggregate
    every daily cell they counted in, so no report counts them any more. Exact (the cells
    are recomputed from the remaining visitors, not decremented); runs in the caller's
    transaction (the erasure's). Rows deleted."""
    ids = sorted(v for v in visitor_ids if v)
    if not ids:
        return 0
    with transaction.atomic():
        rows = ExperimentVisitor.objects.filter(visitor_id__in=ids).count()
        rows += VisitorConversion.objects.filter(visitor_id__in=ids).count()
        if not rows:
            return 0
        dialect = _dialect()
        _execute_with(rollup_sql.remember_cells_of_visitors(dialect, len(ids)), ids + ids)
        _execute_with(rollup_sql.forget_visitor_rows(len(ids)), ids)
        _execute(rollup_sql.recompute_daily_cells(_counted()))
        _execute(rollup_sql.drop_scope(dialect))
    return rows


def _state_for_update() -> RollupState:
    RollupState.objects.get_or_create(name=STATE_NAME)
    return RollupState.objects.select_for_update().get(name=STATE_NAME)


def _run(
    rebuild: bool,
    batch_size: int,
    progress: Progress | None,
    until_id: int | None,
    partitions: int,
) -> RollupRun:
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    if partitions < 1:
        raise ValueError("partitions must be positive")
    # Other connections see committed rows only: inside a caller's transaction (a test, a
    # request) the step stays on this connection; SQLite has one writer anyway.
    alone = connection.vendor == "postgresql" and not connection.in_atomic_block
    if not alone:
        partitions = 1
    # SQLite: a 256 MB page cache for this connection while rolling up (default 2 MB), so
    # the index updates of a big step stay in memory.
    with sqlite_pragma("cache_size", SQLITE_CACHE_KIB):
        # Dropping indexes inside a caller's transaction would hold them locked (and a lock
        # per rebuild) until its commit: there the rebuild keeps them.
        return _run_steps(rebuild, batch_size, progress, until_id, partitions, alone)


def _restore_secondary_indexes() -> None:
    """Build the secondary indexes a rebuild dropped (also after a rebuild that failed: the
    next run builds them). PostgreSQL only; a catalog read when nothing is missing."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(rollup_sql.secondary_index_names())],
        )
        present = {row[0] for row in cursor.fetchall()}
    with transaction.atomic():
        _execute(rollup_sql.create_missing_secondary_indexes(present))


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
    rebuild: bool,
    batch_size: int,
    progress: Progress | None,
    until_id: int | None,
    partitions: int,
    drop_indexes: bool,
) -> RollupRun:
    started = time.perf_counter()
    with transaction.atomic():
        state = _state_for_update()
        if rebuild:
            _execute(rollup_sql.empty_rollups(_dialect()))
            if drop_indexes:
                _execute(rollup_sql.drop_secondary_indexes(_dialect()))
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
    counted = _counted()
    if progress:
        progress(0, total)
    while lo < top:
        hi = _step_end(lo, batch_size, top)
        with transaction.atomic():
            state = _state_for_update()  # one run at a time (row lock on PostgreSQL)
            if partitions > 1:
                # Committed before the watermark's transaction (which holds the lock).
                _fold_partitions(lo, hi, counted, partitions)
            else:
                _fold(lo, hi, counted)
            state.events_processed += max(0, hi - max(lo, state.last_event_id))
            state.last_event_id = max(state.last_event_id, hi)
            state.updated_at = timezone.now()
            state.save()
        lo = hi
        if progress:
            progress(hi - first, total)
    _restore_secondary_indexes()  # before the adjusted cells' queries, which read them
    if rebuild:
        with transaction.atomic():
            _execute(rollup_sql.analyze_rollups(_dialect()))
    with transaction.atomic():  # the adjusted estimates' cells, at the new watermark
        refresh_adjustment_cells(_state_for_update().last_event_id)
    return RollupRun(
        events=total,
        first_id=first,
        last_id=max(top, watermark),
        seconds=time.perf_counter() - started,
        rebuilt=rebuild,
        partitions=partitions,
    )


def update_rollups(
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    until_id: int | None = None,
    partitions: int = DEFAULT_PARTITIONS,
) -> RollupRun:
    """Fold the events stored since the last run (id above the watermark) into the rollups."""
    return _run(False, batch_size, progress, until_id, partitions)


def refresh_stale_rollups(max_age_seconds: float) -> RollupRun | None:
    """Fold new events in when the last update is older than ``max_age_seconds`` and events
    wait beyond the watermark; otherwise do nothing (``None``). ``max_age_seconds <= 0``:
    never (production schedules ``manage.py persx_rollup`` instead)."""
    if max_age_seconds <= 0:
        return None
    state = RollupState.objects.filter(name=STATE_NAME).first()
    watermark = state.last_event_id if state else 0
    updated = state.updated_at if state else None
    if updated is not None and (timezone.now() - updated).total_seconds() < max_age_seconds:
        return None
    if not Event.objects.filter(id__gt=watermark).exists():
        return None
    return update_rollups()


def rebuild_rollups(
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
    partitions: int = REBUILD_PARTITIONS,
) -> RollupRun:
    """Empty the rollups and fold every stored event again."""
    return _run(True, batch_size, progress, None, partitions)
