"""Exposures and page views of rendered pages, written in batches off the request path.

A request that rendered a page with personalization hands one ``PageRender`` (visitor,
page, time, block decisions) to the process-wide writer: an append to a bounded in-memory
queue, no SQL and no waiting (``PersonalizationMiddleware``). A daemon thread turns queued
renders into event rows and writes them with one bulk insert (``services.store_rows``)
every ``FLUSH_EVERY_S`` seconds, or as soon as ``FLUSH_AT_EVENTS`` events wait; the queue
is flushed at process exit. If the queue is full (the database is down for long), new
renders are dropped, counted and logged: the site never blocks on analytics.

An erasure drops what this process still queues for the erased ids
(:meth:`ExposureWriter.discard_visitors`); other processes' queues are caught at the write,
which skips rows of tombstoned ids (``services.store_rows``).

Ids are fresh UUIDs, so a retried insert cannot duplicate a row. What is still queued when
a process is killed hard (SIGKILL, power loss) is lost: at most ~0.5 s of page views.

Whether the thread runs is the setting ``PERSX["EVENTS_WRITER_THREAD"]`` (bool): on in the
base settings (also under ``runserver`` and in management commands, which should call
``flush()`` before they read what they caused); off in the test settings (pytest-django and
``bench/run.py``), where nothing is written until ``flush()`` is called, in the caller's
thread and transaction, because tests share one connection inside a transaction.

The writer is given its store (a function that writes rows and returns how many; the
process-wide writer uses ``services.store_rows``), so it knows nothing of SQL.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import close_old_connections, connections

from persx.config import config
from persx.events.durable_write import DatabaseBusy
from persx.events.event_row import EventRow, VisitorColumns, fit
from persx.events.event_types import EventType
from persx.events.services import store_rows
from persx.observability import metrics

logger = logging.getLogger("persx.events")

CAPACITY_EVENTS = 20_000
FLUSH_EVERY_S = 0.5
FLUSH_AT_EVENTS = 500
DROP_LOG_EVERY_S = 60.0


class ServedDecision(Protocol):
    """One block decision of a page (``persx.engine.deciding.decision.ServedBlock``)."""

    @property
    def block_type(self) -> str: ...
    @property
    def variant_key(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def experiment(self) -> str | None: ...
    @property
    def arm(self) -> str | None: ...
    @property
    def would_be(self) -> str | None: ...
    @property
    def allocation_version(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class PageRender:
    """What one page view showed to one visitor: becomes 1 page_view + 1 exposure per block."""

    visitor: VisitorColumns
    page: str
    occurred_at: datetime
    served: Sequence[ServedDecision]

    @property
    def event_count(self) -> int:
        return 1 + len(self.served)

    def rows(self) -> list[EventRow]:
        page, at, who = fit("page", self.page), self.occurred_at, self.visitor
        rows = [EventRow(uuid.uuid4(), EventType.PAGE_VIEW.value, at, at, page, who)]
        rows.extend(
            EventRow(
                uuid.uuid4(),
                EventType.EXPOSURE.value,
                at,
                at,
                page,
                who,
                block=fit("block", s.block_type),
                variant=fit("variant", s.variant_key),
                reason=fit("reason", s.reason),
                experiment=fit("experiment", s.experiment),
                arm=fit("arm", s.arm),
                would_be=fit("would_be", s.would_be),
                properties=_bandit_properties(s),
            )
            for s in self.served
        )
        return rows


def _bandit_properties(served: ServedDecision) -> dict[str, object]:
    """A bandit's decision records the allocation version it came from and whether the
    visitor is in the bandit's holdback (whose exposures alone give its PLI)."""
    if served.allocation_version is None:
        return {}
    return {
        "allocation_version": served.allocation_version,
        "holdback": served.reason == "bandit_holdback",
    }


@dataclass(frozen=True, slots=True)
class WriterStats:
    pending: int
    written: int
    dropped: int
    failed: int
    background: bool


# Writes rows durably and returns how many; raises ``DatabaseBusy`` when it could not.
Store = Callable[[Sequence[EventRow]], int]


class ExposureWriter:
    def __init__(
        self,
        *,
        store: Store,
        background: bool,
        capacity: int = CAPACITY_EVENTS,
        flush_every_s: float = FLUSH_EVERY_S,
        flush_at: int = FLUSH_AT_EVENTS,
    ) -> None:
        self.store = store
        self.background = background
        self.capacity = capacity
        self.flush_every_s = flush_every_s
        self.flush_at = flush_at
        self._reset()

    def _reset(self) -> None:
        self._pending: list[PageRender] = []
        self._pending_events = 0
        self._queue_lock = threading.Lock()  # guards _pending; held for microseconds
        self._write_lock = threading.Lock()  # one writer at a time (thread or flush())
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self._last_drop_log = 0.0

    def after_fork(self) -> None:
        """A forked worker starts empty: the parent writes what it queued."""
        self._reset()

    # --- request side -------------------------------------------------------------------
    def submit(self, render: PageRender) -> bool:
        """Queue a page's events; never blocks. False when the queue is full (dropped)."""
        n = render.event_count
        with self._queue_lock:
            if self._pending_events + n > self.capacity:
                self.dropped += n
                self._log_drop()
                metrics.record_exposure_dropped(n)
                return False
            self._pending.append(render)
            self._pending_events += n
            due = self._pending_events >= self.flush_at
            metrics.set_exposure_queue_depth(self._pending_events)
        if self.background and not self._stopping:
            self._ensure_thread()
            if due:
                self._wake.set()
        return True

    def _log_drop(self) -> None:
        now = time.monotonic()
        if now - self._last_drop_log >= DROP_LOG_EVERY_S:
            self._last_drop_log = now
            logger.warning(
                "exposure queue full: dropping events",
                extra={"dropped_total": self.dropped, "capacity": self.capacity},
            )

    # --- writing ------------------------------------------------------------------------
    def flush(self) -> int:
        """Write everything queued so far (waits for a write in progress); rows written."""
        with self._write_lock:
            with self._queue_lock:
                batch, self._pending, self._pending_events = self._pending, [], 0
                metrics.set_exposure_queue_depth(0)
            if not batch:
                return 0
            rows = [row for render in batch for row in render.rows()]
            try:
                self.store(rows)
            except DatabaseBusy:
                self._requeue(batch)
                return 0
            except Exception:
                self.failed += len(rows)
                logger.exception("exposure write failed", extra={"events": len(rows)})
                metrics.record_exposure_flush(dropped=len(rows))
                return 0
            self.written += len(rows)
            metrics.record_exposure_flush()
            return len(rows)

    def _requeue(self, batch: list[PageRender]) -> None:
        """Put a batch back in front (the next flush tries again), within capacity."""
        with self._queue_lock:
            room = self.capacity - self._pending_events
            kept: list[PageRender] = []
            for render in batch:
                if render.event_count <= room:
                    kept.append(render)
                    room -= render.event_count
                else:
                    self.dropped += render.event_count
                    metrics.record_exposure_dropped(render.event_count)
            self._pending[:0] = kept
            self._pending_events += sum(r.event_count for r in kept)
            metrics.set_exposure_queue_depth(self._pending_events)

    def discard_pending(self) -> int:
        """Forget what is queued (tests: start from an empty queue). Returns events dropped."""
        with self._queue_lock:
            n = self._pending_events
            self._pending, self._pending_events = [], 0
        return n

    def discard_visitors(self, visitor_ids: set[str] | frozenset[str]) -> int:
        """Drop the queued renders of these visitors (an erasure); events dropped.

        A batch already taken by a write in progress is not here: the write itself skips
        rows of erased visitors (the tombstones are committed before the erasure deletes).
        """
        with self._queue_lock:
            kept = [r for r in self._pending if r.visitor.visitor_id not in visitor_ids]
            dropped = self._pending_events - sum(r.event_count for r in kept)
            self._pending, self._pending_events = kept, self._pending_events - dropped
            metrics.set_exposure_queue_depth(self._pending_events)
        return dropped

    def stats(self) -> WriterStats:
        return WriterStats(
            self._pending_events, self.written, self.dropped, self.failed, self.background
        )

    # --- background thread --------------------------------------------------------------
    def _ensure_thread(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            return
        with self._queue_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._run, name="persx-exposure-writer", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._wake.wait(self.flush_every_s)
                self._wake.clear()
                try:
                    close_old_connections()  # a long-lived thread: honour CONN_MAX_AGE
                    self.flush()
                except Exception:  # the thread must survive anything
                    logger.exception("exposure writer loop failed")
        finally:
            connections.close_all()  # this thread's connections

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread (after its current write) and write what is left."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self.flush()


def _background_configured() -> bool:
    return config().events_writer_thread


_writer: ExposureWriter | None = None
_writer_lock = threading.Lock()


def writer() -> ExposureWriter:
    global _writer
    if _writer is None:
        with _writer_lock:
            if _writer is None:
                created = ExposureWriter(store=store_rows, background=_background_configured())
                if created.background:
                    atexit.register(created.flush)
                _writer = created
    return _writer


def submit(render: PageRender) -> bool:
    return writer().submit(render)


def flush() -> int:
    """Write every queued exposure now (tests, management commands, shutdown)."""
    return writer().flush()


def _after_fork_in_child() -> None:
    if _writer is not None:
        _writer.after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
