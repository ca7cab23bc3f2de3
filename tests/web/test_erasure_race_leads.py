"""Issue 15: erasure's tombstone covers leads, also when a lead is being sent while the
visitor is erased.

A thread sends the contact form again and again with the visitor's cookie (real requests,
its own database connection), while the visitor is erased through the real forget-me view.
Whatever the interleaving, no lead is left under the erased visitor id: a lead written
before the erasure is deleted by it (the erasure waits for a write in flight, holding the
erasure lock exclusively while ``record_lead`` holds it shared), one written after it sees
the tombstone and is stored without the id. Outside a test transaction, on PostgreSQL only,
like tests/web/test_erasure_race.py (which says why).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from persx.events.models import Event
from persx.leads.models import Lead
from persx.privacy.models import DataRequest, ErasedVisitor
from persx.privacy.tombstones import tombstone_key
from tests.web.conftest import client_with_profile

pytestmark = pytest.mark.postgresql

TRIES = 10
TIMEOUT_S = 60
NAME = "Race Lead"


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The session's test database in autocommit (the name makes pytest-django create it)."""
    with django_db_blocker.unblock():
        yield


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {TIMEOUT_S} s", pytrace=False)
        time.sleep(0.005)


def _send_until(stop: threading.Event, visitor_id: str, answers: list[int]) -> None:
    """Send the contact form with the visitor's cookie until ``stop``; note each status."""
    client = client_with_profile("saas", visitor_id=visitor_id)
    try:
        while not stop.is_set():
            response = client.post(
                "/contact/submit/",
                {"name": NAME, "email": "race@example.com", "next": "/contact/"},
            )
            answers.append(response.status_code)
    finally:
        connection.close()


def _erase_while_sending(visitor_id: str) -> list[int]:
    """Forget the visitor while a thread sends leads for them; the thread's statuses."""
    stop = threading.Event()
    answers: list[int] = []
    sender = threading.Thread(target=_send_until, args=(stop, visitor_id, answers), daemon=True)
    sender.start()
    try:
        _wait_until(lambda: Lead.objects.filter(visitor_id=visitor_id).exists(), "a first lead")
        erase = client_with_profile("saas", visitor_id=visitor_id)
        assert erase.post("/start/forget/").status_code == 302
        sent_at_erasure = len(answers)
        _wait_until(lambda: len(answers) >= sent_at_erasure + 3, "three more leads")
    finally:
        stop.set()
        sender.join(TIMEOUT_S)
    return answers


def test_a_lead_sent_while_the_visitor_is_erased_is_never_left_under_the_erased_id(
    db: None,
) -> None:
    visitors: list[str] = []
    try:
        for _ in range(TRIES):
            visitor_id = uuid.uuid4().hex
            visitors.append(visitor_id)
            answers = _erase_while_sending(visitor_id)
            assert set(answers) == {302}
            assert not Lead.objects.filter(visitor_id=visitor_id).exists()
            assert Lead.objects.filter(name=NAME, visitor_id="").exists()  # still stored
    finally:
        Lead.objects.filter(name=NAME).delete()
        Event.objects.filter(visitor_id__in=visitors).delete()
        ErasedVisitor.objects.filter(key__in=[tombstone_key(v) for v in visitors]).delete()
        DataRequest.objects.all().delete()
