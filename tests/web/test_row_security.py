"""Row-level security on the visitor tables (persx/http/row_security.py), on real PostgreSQL.

Two visitors' rows are in every visitor table; code inside ``visitor_rows(A)`` that forgets
its filter must see A's rows only, must not touch B's, and the setting must be gone from
the connection when the transaction ends. The pooled-connection tests run outside a test
transaction (autocommit, like production), so each request's transaction really ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from persx.events.event_row import EventRow, VisitorColumns
from persx.events.models import Event
from persx.events.services import store_rows
from persx.http.row_security import VISITOR_SETTING, visitor_ids_literal, visitor_rows
from persx.inference.models import InferenceExample
from persx.leads.models import Lead
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import client_with_profile

A = "a" * 32
B = "b" * 32


def seed_two_visitors() -> None:
    now = datetime.now(UTC)
    rows = [
        EventRow(uuid.uuid4(), "page_view", now, now, "/", VisitorColumns(v))
        for v in (A, A, B, B, B)
    ]
    store_rows(rows)
    for v in (A, B):
        VisitorProfileRecord.objects.create(
            visitor_id=v, industry="saas", set_at=now, updated_at=now
        )
        Lead.objects.create(name=f"lead of {v[0]}", email=f"{v[0]}@example.com", visitor_id=v)
        InferenceExample.objects.create(
            visitor_id=v, answered_at=now, industry="saas", source="start_form", signals={}
        )


def session_state() -> tuple[str, str, str, int]:
    """(the visitor setting, current_user, session_user, backend pid) of this connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(current_setting(%s, true), ''), current_user, session_user, "
            "pg_backend_pid()",
            [VISITOR_SETTING],
        )
        setting, current, session, pid = cursor.fetchone()
    return str(setting), str(current), str(session), int(pid)


# --- everywhere ---------------------------------------------------------------------------


def test_visitor_ids_become_an_array_literal() -> None:
    assert visitor_ids_literal((A, B)) == f'{{"{A}","{B}"}}'
    assert visitor_ids_literal(("",)) == '{""}'
    assert visitor_ids_literal(('x"y\\',)) == '{"x\\"y\\\\"}'


@pytest.mark.django_db
def test_with_row_security_off_the_scope_is_only_a_transaction() -> None:
    seed_two_visitors()
    with override_settings(PERSX={**settings.PERSX, "ROW_SECURITY": False}), visitor_rows(A):
        assert connection.in_atomic_block
        assert Lead.objects.filter(visitor_id=B).exists()  # nothing hidden: no defence


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_forgotten_filter_returns_only_the_visitors_rows() -> None:
    seed_two_visitors()
    with visitor_rows(A):
        assert set(Event.objects.values_list("visitor_id", flat=True)) == {A}
        assert Event.objects.count() == 2
        assert [r.visitor_id for r in VisitorProfileRecord.objects.all()] == [A]
        assert [lead.name for lead in Lead.objects.all()] == ["lead of a"]
        assert set(InferenceExample.objects.values_list("visitor_id", flat=True)) == {A}
        # Even asking for B by name finds nothing.
        assert not Event.objects.filter(visitor_id=B).exists()
    # Outside the scope the site (the tables' owner) sees both, as the admin needs.
    assert Lead.objects.filter(visitor_id__in=[A, B]).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_web_role_without_a_visitor_sees_nothing() -> None:
    seed_two_visitors()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE persx_web")  # the role, but no visitor set
        assert Event.objects.count() == 0
        assert Lead.objects.count() == 0
        assert VisitorProfileRecord.objects.count() == 0


@pytest.mark.postgresql
@pytest.mark.django_db
def test_another_visitors_rows_cannot_be_changed_or_written() -> None:
    seed_two_visitors()
    with visitor_rows(A):
        assert Event.objects.filter(visitor_id=B).delete()[0] == 0
        assert Lead.objects.all().update(company="changed") == 1  # A's lead only
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            Lead.objects.create(name="forged", email="f@example.com", visitor_id=B)
    assert Event.objects.filter(visitor_id=B).count() == 3
    assert Lead.objects.get(visitor_id=B).company == ""
    assert Lead.objects.get(visitor_id=A).company == "changed"


@pytest.mark.postgresql
@pytest.mark.django_db
def test_several_visitors_of_one_account_share_a_scope() -> None:
    seed_two_visitors()
    with visitor_rows(A, B):
        assert Lead.objects.count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db
def test_a_nested_scope_puts_the_previous_state_back() -> None:
    outside = session_state()
    with visitor_rows(A):
        inner = session_state()
        with visitor_rows(B):
            assert session_state()[:2] == (visitor_ids_literal((B,)), "persx_web")
        assert session_state() == inner
    assert inner[:2] == (visitor_ids_literal((A,)), "persx_web")
    # Still inside the test's transaction: put back, not left to the commit.
    assert session_state()[:3] == ("", outside[2], outside[2])


# --- a pooled connection, outside a test transaction ------------------------------------------


@pytest.fixture
def autocommit_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The session's test database in autocommit (as production); the test's rows deleted."""
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block
        try:
            yield
        finally:
            Event.objects.filter(visitor_id__in=[A, B]).delete()
            Lead.objects.filter(visitor_id__in=[A, B]).delete()
            VisitorProfileRecord.objects.filter(visitor_id__in=[A, B]).delete()
            InferenceExample.objects.filter(visitor_id__in=[A, B]).delete()


@pytest.mark.postgresql
def test_a_committed_or_failed_scope_leaves_nothing_on_the_connection(autocommit_db: None) -> None:
    before = session_state()
    with visitor_rows(A):
        assert session_state()[:2] == (visitor_ids_literal((A,)), "persx_web")
    assert session_state() == before  # same backend, nothing carried over

    with pytest.raises(RuntimeError), visitor_rows(B):
        raise RuntimeError("the request failed half-way")
    assert session_state() == before


@pytest.mark.postgresql
def test_the_next_request_on_a_pooled_connection_starts_clean(autocommit_db: None) -> None:
    seed_two_visitors()
    before = session_state()
    now = datetime.now(UTC).isoformat()
    sent = []
    for visitor in (A, B):
        batch = [
            {"event_id": str(uuid.uuid4()), "type": "cta_click", "occurred_at": now, "page": "/"}
        ]
        sent.append(batch[0]["event_id"])
        response = client_with_profile("saas", visitor_id=visitor).post(
            "/api/events", json.dumps({"events": batch}), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        # The request ran on this thread's pooled connection and ended its transaction:
        # same backend, no visitor, the login role again.
        assert session_state() == before
    stored = dict(Event.objects.filter(event_id__in=sent).values_list("event_id", "visitor_id"))
    assert sorted(stored.values()) == [A, B]
