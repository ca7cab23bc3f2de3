"""With the database unreachable, pages a server has served keep being served from its
memory (personalized as before); a page it has not served gets a 503 that says why, with
Retry-After, never a 500; so do the writes (the start form keeps the visitor's answers) and
the API. Every query is refused through Django's own execute wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from persx.events.models import Event
from persx.leads.models import Lead
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import client_with_profile, variants

PROFILE_COOKIE = settings.PERSX["PROFILE_COOKIE_NAME"]


def refuse(*_: Any) -> Any:
    raise OperationalError("connection refused (injected: database unreachable)")


@contextmanager
def database_unreachable() -> Iterator[None]:
    wrapper: Callable[..., Any] = refuse
    with connection.execute_wrapper(wrapper):
        yield


@pytest.mark.django_db
def test_a_served_page_keeps_serving_personalized_without_the_database() -> None:
    client = client_with_profile("healthcare")
    assert client.get("/contact/").status_code == 200  # this process now holds the page
    with database_unreachable():
        response = client.get("/contact/")
    assert response.status_code == 200
    served = {v for _, v in variants(response.content)}
    assert "industry:healthcare" in served
    assert served <= {"industry:healthcare", "generic"}


@pytest.mark.django_db
def test_a_page_never_served_says_why_it_is_unavailable() -> None:
    client = client_with_profile("healthcare")
    assert client.get("/contact/").status_code == 200  # the route table is built
    with database_unreachable():
        response = client.get("/about/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database unavailable" in response["X-PersX-Degraded"]
    assert b"Back in a moment" in response.content
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_start_form_keeps_the_answers_and_says_nothing_was_saved() -> None:
    client = Client()
    assert client.get("/start/").status_code == 200  # catalog and form known to the process
    answers = {"industry": "saas", "goals": ["improve-onboarding"], "next": "/contact/"}
    with database_unreachable():
        response = client.post("/start/", answers)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "answers were not saved" in response["X-PersX-Degraded"]
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'data-testid="not-saved"' in html
    assert 'value="saas" id="industry-saas" required checked' in html  # the answer is kept
    assert PROFILE_COOKIE not in response.cookies  # nothing half-done: no profile either
    assert not VisitorProfileRecord.objects.exists()
    assert not Event.objects.filter(type="start_form_submitted").exists()
    # The database is back: the same answers go through.
    again = client.post("/start/", answers)
    assert again.status_code == 302
    assert VisitorProfileRecord.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/start/industry/", {"industry": "travel", "next": "/"}),
        ("/contact/submit/", {"name": "Ann", "email": "ann@example.com", "next": "/contact/"}),
    ],
)
def test_other_writes_answer_503_saying_nothing_was_changed(
    path: str, data: dict[str, str]
) -> None:
    client = client_with_profile("healthcare")
    assert client.get("/contact/").status_code == 200
    leads_before = Lead.objects.count()
    with database_unreachable():
        response = client.post(path, data)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["X-PersX-Degraded"] == "database unavailable; nothing was changed"
    assert b"Back in a moment" in response.content
    assert Lead.objects.count() == leads_before


@pytest.mark.django_db
def test_an_api_read_without_the_database_is_a_503_in_the_error_shape() -> None:
    client = client_with_profile("healthcare")
    with database_unreachable():
        response = client.get("/api/personalization/export")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert set(body) == {"message", "detail"}
    assert "Retry-After" in body["message"]
