"""Issue 11, finding 1: forget-me left page views behind that were still queued in memory.

Real parts: the page views come from real requests (the personalization middleware queues
them), the exposure writer's background thread is on and flushes every 10 ms, so writes race
the erasure; the erasure is the real forget-me view. Outside a test transaction (the writer
thread has its own connection), like tests/web/test_events_durability.py.

On PostgreSQL only (the production database; the PostgreSQL pass of ``make test``): the
SQLite test database is a shared in-memory cache whose table locks fail a second writer at
once ("database table is locked") instead of waiting, so a thread writing every 10 ms and a
request erasing cannot share it. A file database (``make run``) waits on its busy timeout.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from persx.events import exposure_writer
from persx.events.exposure_writer import ExposureWriter
from persx.events.models import Event
from persx.events.services import store_rows
from persx.privacy.models import DataRequest, ErasedVisitor
from persx.privacy.tombstones import tombstone_key
from tests.web.conftest import client_with_profile

pytestmark = pytest.mark.postgresql

TRIES = 10
PAGE_VIEWS = 4
FIRST_WRITE_TIMEOUT_S = 60


def first_rows_written(visitor_id: str) -> int:
    """Wait until the writer thread has stored some of the visitor's rows (it writes every
    10 ms; a busy machine may take longer), so the erasure meets rows already written as
    well as rows still queued or being written."""
    deadline = time.monotonic() + FIRST_WRITE_TIMEOUT_S
    while not (written := Event.objects.filter(visitor_id=visitor_id).count()):
        if time.monotonic() > deadline:
            pytest.fail("the writer thread stored nothing within a minute", pytrace=False)
        time.sleep(0.005)
    return written


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The session's test database in autocommit (the name makes pytest-django create it)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def racing_writer(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ExposureWriter, list[str]]]:
    """The process-wide writer replaced by one whose thread flushes every 10 ms; the visitor
    ids appended to the list are cleaned up afterwards."""
    visitors: list[str] = []
    assert not connection.in_atomic_block
    cache.clear()
    writer = ExposureWriter(store=store_rows, background=True, flush_every_s=0.01, flush_at=3)
    monkeypatch.setattr(exposure_writer, "_writer", writer)
    try:
        yield writer, visitors
    finally:
        writer.stop()
        Event.objects.filter(visitor_id__in=visitors).delete()
        ErasedVisitor.objects.filter(key__in=[tombstone_key(v) for v in visitors]).delete()
        DataRequest.objects.all().delete()
        cache.clear()


def test_forget_me_leaves_no_page_view_behind_queued_or_arriving_later(
    racing_writer: tuple[ExposureWriter, list[str]],
) -> None:
    writer, visitors = racing_writer
    written_before_erasure = 0
    for _ in range(TRIES):
        visitor_id = uuid.uuid4().hex
        visitors.append(visitor_id)
        client = client_with_profile("saas", visitor_id=visitor_id)
        for _ in range(PAGE_VIEWS):
            assert client.get("/contact/").status_code == 200
        written_before_erasure += first_rows_written(visitor_id)
        assert client.post("/start/forget/").status_code == 302
        # a copy of the old cookie (another tab) keeps sending page views afterwards
        late = client_with_profile("saas", visitor_id=visitor_id)
        assert late.get("/contact/").status_code == 200
        writer.flush()  # waits for a write in progress, then writes what is queued
        assert Event.objects.filter(visitor_id=visitor_id).count() == 0
    # each erasure met rows the thread had already written (and whatever was still queued
    # or being written at that moment)
    assert written_before_erasure >= TRIES
    assert writer.stats().failed == 0


def test_late_rows_of_an_erased_visitor_are_dropped_but_others_are_written(
    racing_writer: tuple[ExposureWriter, list[str]],
) -> None:
    writer, visitors = racing_writer
    erased, kept = uuid.uuid4().hex, uuid.uuid4().hex
    visitors += [erased, kept]
    client_with_profile("saas", visitor_id=erased).post("/start/forget/")
    assert ErasedVisitor.objects.filter(key=tombstone_key(erased)).exists()
    assert not ErasedVisitor.objects.filter(key=erased).exists()  # only the keyed hash
    for visitor_id in (erased, kept):
        client_with_profile("saas", visitor_id=visitor_id).get("/contact/")
    writer.flush()
    assert Event.objects.filter(visitor_id=erased).count() == 0
    assert Event.objects.filter(visitor_id=kept, type="page_view").count() == 1
