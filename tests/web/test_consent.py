"""Analytics consent: what is stored in each state and mode, GPC, the banner, the forms."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from persx.config import config
from persx.engine.visitor.profile import ConsentState
from persx.events import exposure_writer
from persx.events.models import Event
from persx.leads.models import Lead
from persx.privacy import consent_cookie
from tests.web.conftest import client_with_profile
from tests.web.consent_support import with_consent

VISITOR = "0123456789abcdef0123456789abcdef"


def mode(value: str) -> Any:
    return override_settings(PERSX={**settings.PERSX, "CONSENT_MODE": value})


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def post_events(client: Client, n: int = 2) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    batch = [
        {"event_id": str(uuid.uuid4()), "type": "cta_click", "occurred_at": now, "page": "/"}
        for _ in range(n)
    ]
    response = client.post("/api/events", {"events": batch}, content_type="application/json")
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def page_view_rows() -> list[tuple[str, str]]:
    exposure_writer.flush()
    return list(Event.objects.values_list("type", "consent").distinct().order_by("type"))


def signals_cookie_set(response: Any) -> bool:
    morsel = response.cookies.get(config().signals_cookie_name)
    return morsel is not None and morsel.value != "" and morsel["max-age"] != 0


@pytest.mark.django_db
def test_opt_in_stores_nothing_until_the_visitor_accepts() -> None:
    with mode("opt_in"):
        client = client_with_profile("saas")
        page = client.get("/contact/")
        assert page.status_code == 200
        assert not signals_cookie_set(page)
        assert post_events(client) == {"accepted": 0, "duplicates": 0, "declined": 2}
        assert page_view_rows() == []

        accepted = client.post("/privacy/consent/", {"choice": "granted", "next": "/contact/"})
        assert accepted.status_code == 302
        assert accepted["Location"] == "/contact/"
        assert consent_cookie.COOKIE_NAME in accepted.cookies
        page = client.get("/contact/")
        assert signals_cookie_set(page)
        assert post_events(client)["accepted"] == 2
        assert page_view_rows() == [
            ("cta_click", "granted"),
            ("exposure", "granted"),
            ("page_view", "granted"),
        ]
        assert set(Event.objects.values_list("visitor_id", flat=True)) == {VISITOR}


@pytest.mark.django_db
def test_opt_out_stores_unknown_visitors_and_marks_them_unknown() -> None:
    with mode("opt_out"):
        client = client_with_profile("saas")
        client.get("/contact/")
        assert post_events(client)["accepted"] == 2
        assert {c for _, c in page_view_rows()} == {"unknown"}


@pytest.mark.django_db
@pytest.mark.parametrize("setting", ["opt_in", "opt_out"])
def test_declined_stores_nothing_ever_and_drops_the_signals_cookie(setting: str) -> None:
    with mode(setting):
        client = with_consent(client_with_profile("saas"), ConsentState.GRANTED)
        assert signals_cookie_set(client.get("/contact/"))
        exposure_writer.flush()
        before = Event.objects.count()
        assert before > 0

        declined = client.post("/privacy/consent/", {"choice": "denied"})
        assert declined.status_code == 302
        gone = declined.cookies[config().signals_cookie_name]
        assert gone.value == ""
        assert gone["max-age"] == 0
        assert not signals_cookie_set(client.get("/contact/"))
        assert post_events(client)["declined"] == 2
        # the start form (functional) still works, but no event is stored for it
        start = client.post("/start/", {"industry": "travel", "goals": ["improve-onboarding"]})
        assert start.status_code == 302
        assert config().profile_cookie_name in start.cookies
        # a lead is what the visitor asked for: stored, without its measurement event
        lead = client.post(
            "/contact/submit/", {"name": "Ann", "email": "ann@example.com", "next": "/contact/"}
        )
        assert lead.status_code == 302
        assert Lead.objects.filter(email="ann@example.com").exists()
        exposure_writer.flush()
        assert Event.objects.count() == before


@pytest.mark.django_db
def test_global_privacy_control_is_a_decline_until_the_visitor_accepts() -> None:
    with mode("opt_out"):
        client = client_with_profile("saas")
        page = client.get("/contact/", headers={"Sec-GPC": "1"})
        assert b'data-testid="consent-banner"' not in page.content  # the browser has spoken
        assert b'<meta name="persx-measure" content="no">' in page.content
        assert not signals_cookie_set(page)
        response = client.post(
            "/api/events",
            {
                "events": [
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": "cta_click",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "page": "/",
                    }
                ]
            },
            content_type="application/json",
            headers={"Sec-GPC": "1"},
        )
        assert response.json()["declined"] == 1
        assert page_view_rows() == []
        state = client.get("/api/privacy/consent", headers={"Sec-GPC": "1"}).json()
        assert (state["state"], state["source"], state["gpc"]) == ("denied", "gpc", True)

        client.post("/privacy/consent/", {"choice": "granted"}, headers={"Sec-GPC": "1"})
        client.get("/contact/", headers={"Sec-GPC": "1"})
        assert {c for _, c in page_view_rows()} == {"granted"}
        privacy = client.get("/privacy/", headers={"Sec-GPC": "1"})
        assert b"overrides it for this site" in privacy.content


@pytest.mark.django_db
def test_the_banner_shows_until_a_choice_and_its_forms_work_without_javascript() -> None:
    with mode("opt_in"):
        client = Client()
        page = client.get("/about/")
        html = page.content.decode()
        assert 'data-testid="consent-banner"' in html
        assert 'role="region" aria-labelledby="persx-consent-title"' in html
        assert 'action="/privacy/consent/"' in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert '<meta name="persx-measure" content="no">' in html
        assert 'href="/privacy/"' in html  # the footer's Privacy choices
        assert "onclick" not in html
        assert "<script>" not in html
        client.post("/privacy/consent/", {"choice": "granted", "next": "/about/"})
        html = client.get("/about/").content.decode()
        assert 'data-testid="consent-banner"' not in html
        assert '<meta name="persx-measure" content="yes">' in html


@pytest.mark.django_db
def test_bad_consent_input_is_a_4xx_naming_the_field() -> None:
    client = Client()
    page = client.post("/privacy/consent/", {"choice": "maybe"})
    assert page.status_code == 400
    assert b"choice" in page.content
    as_json = client.post(
        "/privacy/consent/", {"choice": ""}, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400
    assert as_json.json()["message"].startswith("choice")
    assert consent_cookie.COOKIE_NAME not in as_json.cookies

    api = Client(enforce_csrf_checks=True)
    api.get("/api/privacy/consent")
    token = api.cookies[settings.CSRF_COOKIE_NAME].value
    bad = api.put(
        "/api/privacy/consent",
        {"choice": "yes"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert bad.status_code == 422
    assert "choice" in bad.json()["message"]
    extra = api.put(
        "/api/privacy/consent",
        {"choice": "granted", "x": 1},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert extra.status_code == 422
    no_token = api.put(
        "/api/privacy/consent", {"choice": "granted"}, content_type="application/json"
    )
    assert no_token.status_code == 403
    good = api.put(
        "/api/privacy/consent",
        {"choice": "denied"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert good.status_code == 200
    assert good.json()["state"] == "denied"
    assert consent_cookie.COOKIE_NAME in good.cookies


def test_a_tampered_or_foreign_consent_cookie_reads_as_no_choice() -> None:
    from django.utils import timezone

    good = consent_cookie.encode(ConsentState.GRANTED, timezone.now())
    assert consent_cookie.decode(good) is ConsentState.GRANTED
    assert consent_cookie.decode(good[:-2] + "xx") is None
    assert consent_cookie.decode("granted") is None
    assert consent_cookie.decode("x" * 500) is None
    with pytest.raises(ValueError, match="not a consent choice"):
        consent_cookie.encode(ConsentState.UNKNOWN, timezone.now())


@pytest.mark.django_db
def test_an_unknown_consent_mode_is_a_configuration_error() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from persx.privacy.mode import consent_mode

    with mode("sometimes"), pytest.raises(ImproperlyConfigured, match="CONSENT_MODE"):
        consent_mode()
