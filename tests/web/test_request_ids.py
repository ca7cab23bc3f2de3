"""Every request has an id; a 500 leaves a JSON log line with that id and the traceback."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from persx.http.request_id import RequestIdFilter, current_request_id
from persx.leads import views as lead_views


@pytest.fixture
def django_error_log() -> Iterator[io.StringIO]:
    """What the configured handler of Django's request-error logger writes."""
    (handler,) = [
        h
        for h in logging.getLogger("django.request").handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, RequestIdFilter) for f in h.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
def test_each_response_carries_a_request_id_and_keeps_a_valid_offered_one() -> None:
    client = Client()
    first = client.get("/contact/")["X-Request-ID"]
    second = client.get("/contact/")["X-Request-ID"]
    assert first
    assert second != first
    assert client.get("/", HTTP_X_REQUEST_ID="lb-42_a")["X-Request-ID"] == "lb-42_a"
    forged = client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert forged != "<script>"
    assert forged.isalnum()


def send_lead_that_fails(monkeypatch: pytest.MonkeyPatch, error: Exception) -> Any:
    """Send the contact form while storing its lead raises ``error``."""

    def failing(*_: Any, **__: Any) -> None:
        raise error

    monkeypatch.setattr(lead_views, "record_lead", failing)
    return Client(raise_request_exception=False).post(
        "/contact/submit/",
        {"name": "Ada", "email": "ada@example.com", "message": "hello", "next": "/contact/"},
    )


@pytest.mark.django_db
def test_a_500_with_debug_off_is_logged_as_json_with_request_id_and_traceback(
    monkeypatch: pytest.MonkeyPatch, settings: Any, django_error_log: io.StringIO
) -> None:
    settings.DEBUG = False

    response = send_lead_that_fails(monkeypatch, RuntimeError("lead store exploded"))
    assert response.status_code == 500
    lines = [json.loads(line) for line in django_error_log.getvalue().splitlines() if line]
    (line,) = [entry for entry in lines if entry.get("level") == "ERROR"]
    assert line["logger"] == "django.request"
    assert line["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: lead store exploded" in line["exc_info"]


@pytest.mark.django_db
def test_every_log_line_of_a_failing_request_carries_its_id(
    monkeypatch: pytest.MonkeyPatch, settings: Any, django_error_log: io.StringIO
) -> None:
    """A 5xx that a view or middleware answers (not raises) is logged by Django's handler
    after the whole middleware chain has returned: that line carries the id too (it said
    ``"request_id": ""``)."""
    settings.DEBUG = False

    response = send_lead_that_fails(monkeypatch, OperationalError("connection refused"))
    assert response.status_code == 503
    lines = [json.loads(line) for line in django_error_log.getvalue().splitlines() if line]
    django_lines = [entry for entry in lines if entry["logger"] == "django.request"]
    assert django_lines, lines
    assert {entry["request_id"] for entry in lines} == {response["X-Request-ID"]}
    # Once the response is closed, later lines belong to no request.
    assert current_request_id() == ""
