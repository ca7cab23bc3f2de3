"""Every failure of personalization serves generic content, says why, and keeps the 200."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from persx.engine.deciding.decision import Decision
from persx.personalization import context as personalization_context
from tests.web.conftest import client_with_profile, variants


def served_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "personalization served"]


@pytest.mark.django_db
def test_exception_in_a_decision_serves_generic_with_reason_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: Any, **__: Any) -> Decision:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(personalization_context, "decide_block", broken)
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client_with_profile("saas").get("/contact/")
    assert response.status_code == 200
    assert all(v == "generic" for _, v in variants(response.content))
    (line,) = served_lines(caplog)
    assert {b["reason"] for b in line.blocks} == {"error"}  # type: ignore[attr-defined]


class SteppingThreadClock:
    """Stands in for the ``time`` module of the personalization context: each reading of the
    thread's CPU clock is one second after the previous one, whatever the machine does."""

    def __init__(self) -> None:
        self.now = 0.0

    def thread_time(self) -> float:
        self.now += 1.0
        return self.now


@pytest.mark.django_db
def test_over_deadline_decisions_serve_generic_with_reason_timeout(
    settings: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production's 25 ms budget and a clock on which the page's pass takes a whole second.
    settings.PERSX = {**settings.PERSX, "DECISION_BUDGET_MS": 25.0}
    monkeypatch.setattr(personalization_context, "time", SteppingThreadClock())
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client_with_profile("saas").get("/contact/")
    assert response.status_code == 200
    assert all(v == "generic" for _, v in variants(response.content))
    (line,) = served_lines(caplog)
    assert {b["reason"] for b in line.blocks} == {"timeout"}  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_switched_off_serves_generic_with_reason_disabled(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PERSX = {**settings.PERSX, "PERSONALIZATION_ENABLED": False}
    with caplog.at_level(logging.INFO, logger="persx"):
        response = client_with_profile("saas").get("/contact/")
    assert all(v == "generic" for _, v in variants(response.content))
    assert {b["reason"] for b in served_lines(caplog)[0].blocks} == {"disabled"}  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_broken_profile_layer_never_breaks_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    from persx.profiles import middleware

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("catalog unavailable")

    monkeypatch.setattr(middleware.cookie, "decode", broken)
    response = client_with_profile("saas").get("/contact/")
    assert response.status_code == 200
    assert all(v == "generic" for _, v in variants(response.content))


@pytest.mark.django_db
def test_one_structured_log_line_per_page_view(caplog: pytest.LogCaptureFixture) -> None:
    client = client_with_profile("healthcare", persona="healthcare-patient-acquisition")
    with caplog.at_level(logging.INFO, logger="persx"):
        client.get("/contact/")
    (line,) = served_lines(caplog)
    assert line.page == "/contact/"  # type: ignore[attr-defined]
    assert line.industry == "healthcare"  # type: ignore[attr-defined]
    assert line.persona == "healthcare-patient-acquisition"  # type: ignore[attr-defined]
    blocks = line.blocks  # type: ignore[attr-defined]
    assert [b["block"] for b in blocks] == ["hero", "contact_form", "testimonial"]
    assert blocks[1] == {
        "block": "contact_form",
        "variant": "persona:healthcare-patient-acquisition",
        "reason": "persona_match",
    }
    assert blocks[0]["reason"] == "industry_match"


@pytest.mark.django_db
def test_personalization_adds_no_sql(settings: Any) -> None:
    """Same queries with personalization on and off, with and without a profile."""

    def count(client: Client) -> int:
        client.get("/contact/")  # warm in-process caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/contact/").status_code == 200
        return len(ctx.captured_queries)

    personalized = count(client_with_profile("saas"))
    anonymous = count(Client())
    settings.PERSX = {**settings.PERSX, "PERSONALIZATION_ENABLED": False}
    switched_off = count(client_with_profile("saas"))
    assert personalized == anonymous == switched_off
    assert personalized <= 6
