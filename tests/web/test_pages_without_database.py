"""With the database unreachable, pages a server has served keep being served from its
memory (personalized as before); a page it has not served gets a 503 that says why, with
Retry-After, never a 500. Every query is refused through Django's own execute wrapper."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection

from tests.web.conftest import client_with_profile, variants


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
