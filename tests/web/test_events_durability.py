"""Events outside a test transaction: a really locked database, and the background writer.

The lock is real: a second connection to the test database takes the events table's write
lock (SQLite: an open write transaction on the same shared-cache database; PostgreSQL:
``LOCK TABLE ... IN EXCLUSIVE MODE``) while the request runs. That needs the request to run
outside a test transaction (inside one, the lock would already be ours), so this module
overrides pytest-django's ``db`` fixture: the name makes pytest-django create the session's
test database, the override leaves it in autocommit. Each test deletes its own rows.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from persx.engine.deciding.decision import Decision, Reason, ServedBlock
from persx.events.event_row import VisitorColumns
from persx.events.exposure_writer import ExposureWriter, PageRender
from persx.events.models import Event
from persx.events.services import store_rows
from tests.web.conftest import client_with_profile

URL = "/api/events"


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[uuid.UUID]]:
    """The session's test database in autocommit; ids appended to the list are deleted."""
    created: list[uuid.UUID] = []
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block
        cache.clear()
        try:
            yield created
        finally:
            Event.objects.filter(event_id__in=created).delete()
            cache.clear()


def batch_of(n: int, created: list[uuid.UUID]) -> list[dict[str, Any]]:
    ids = [uuid.uuid4() for _ in range(n)]
    created.extend(ids)
    now = datetime.now(UTC).isoformat()
    return [{"event_id": str(i), "type": "cta_click", "occurred_at": now, "page": "/"} for i in ids]


def post(events: list[dict[str, Any]]) -> Any:
    client = client_with_profile("travel")
    return client.post(URL, json.dumps({"events": events}), content_type="application/json")


def stored(events: list[dict[str, Any]]) -> int:
    return Event.objects.filter(event_id__in=[e["event_id"] for e in events]).count()


class RetryWatcher(logging.Handler):
    """Sets ``seen`` when the event writer logs that it is retrying (the lock was hit)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "event write retried: database busy":
            self.seen.set()


@pytest.fixture
def retries() -> Iterator[RetryWatcher]:
    watcher = RetryWatcher()
    logger = logging.getLogger("persx.events")
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)


@contextmanager
def events_table_locked(release: threading.Event | None = None) -> Iterator[None]:
    """Another connection holds the events table's write lock until ``release`` is set
    (or the block ends; at most 30 s)."""
    locked, done = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        raw = connection.get_new_connection(connection.get_connection_params())
        try:
            if connection.vendor == "sqlite":
                raw.isolation_level = None
                raw.execute("BEGIN IMMEDIATE")
                raw.execute("UPDATE persx_events_event SET page = page WHERE id = -1")
            else:
                raw.execute("LOCK TABLE persx_events_event IN EXCLUSIVE MODE")
            locked.set()
            deadline = time.monotonic() + 30
            while not done.is_set() and time.monotonic() < deadline:
                if release is not None and release.is_set():
                    break
                time.sleep(0.005)
            raw.rollback()
        except BaseException as exc:  # reported by the test
            failure.append(exc)
            locked.set()
        finally:
            raw.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join(10)
    assert not failure, failure


def test_nothing_is_lost_when_the_database_is_briefly_locked(
    db: list[uuid.UUID], retries: RetryWatcher
) -> None:
    batch = batch_of(50, db)
    # The lock is released as soon as the write has run into it once.
    with events_table_locked(release=retries.seen):
        response = post(batch)
    assert retries.seen.is_set()
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 50
    assert stored(batch) == 50


def test_a_database_locked_for_long_answers_503_with_retry_after_and_stores_nothing(
    db: list[uuid.UUID],
) -> None:
    batch = batch_of(5, db)
    with events_table_locked():
        response = post(batch)
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "send the same batch again" in response.json()["message"]
    assert stored(batch) == 0
    again = post(batch)  # the tracker resends the same ids
    assert again.json() == {"accepted": 5, "duplicates": 0, "declined": 0}


def test_the_background_writer_thread_writes_without_being_asked(db: list[uuid.UUID]) -> None:
    writer = ExposureWriter(store=store_rows, background=True, flush_every_s=0.05, flush_at=1000)
    visitor = VisitorColumns(visitor_id=uuid.uuid4().hex, industry="saas")
    served = [
        ServedBlock("hero", Decision("industry:saas", Reason.INDUSTRY_MATCH)),
        ServedBlock("cta", Decision("generic", Reason.VARIANT_MISSING)),
    ]
    try:
        assert writer.submit(PageRender(visitor, "/", timezone.now(), served))
        deadline = time.monotonic() + 10
        rows = Event.objects.filter(visitor_id=visitor.visitor_id)
        while rows.count() < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        db.extend(rows.values_list("event_id", flat=True))
        assert sorted(rows.values_list("type", "block")) == [
            ("exposure", "cta"),
            ("exposure", "hero"),
            ("page_view", ""),
        ]
    finally:
        writer.stop()
    assert writer.stats().written == 3
    assert writer.stats().pending == 0
