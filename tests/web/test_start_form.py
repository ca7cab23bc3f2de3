"""The start form and the one-question prompt work without JavaScript (plain POSTs)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import client_with_profile, variants

COOKIE = settings.PERSX["PROFILE_COOKIE_NAME"]


@pytest.mark.django_db
def test_form_lists_catalog_choices_and_remembers_where_you_came_from() -> None:
    response = Client().get("/start/?next=/contact/")
    html = response.content.decode()
    assert response.status_code == 200
    for slug in ("ecommerce", "healthcare", "saas", "financial-services", "travel"):
        assert f'value="{slug}"' in html
    assert 'name="next" value="/contact/"' in html
    referred = Client().get("/start/", HTTP_REFERER="http://testserver/blog/?page=2")
    assert 'name="next" value="/blog/?page=2"' in referred.content.decode()


@pytest.mark.django_db
def test_submit_sets_profile_and_redirects_back() -> None:
    client = Client()
    response = client.post(
        "/start/",
        {
            "industry": "healthcare",
            "goals": ["improve-patient-acquisition", "increase-appointment-bookings"],
            "tools": ["hotjar"],
            "role": "Director of Patient Acquisition",
            "next": "/contact/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    assert COOKIE in response.cookies
    record = VisitorProfileRecord.objects.get()
    assert record.industry == "healthcare"
    assert record.persona == "healthcare-patient-acquisition"
    assert record.industry_source == "start_form"
    contact = client.get("/contact/")
    assert ("contact-reasons", "persona:healthcare-patient-acquisition") in variants(
        contact.content
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)", "/start/", ""],
)
def test_only_same_site_redirect_targets(target: str) -> None:
    response = Client().post(
        "/start/", {"industry": "saas", "goals": ["improve-onboarding"], "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"goals": ["improve-onboarding"]}, "industry"),
        ({"industry": "mining", "goals": ["improve-onboarding"]}, "industry"),
        ({"industry": "saas"}, "goals"),
        (
            {
                "industry": "saas",
                "goals": [
                    "increase-conversion-rate",
                    "improve-onboarding",
                    "reduce-churn",
                    "increase-aov",
                    "improve-trial-to-paid",
                    "generate-qualified-leads",
                ],
            },
            "goals",
        ),
        ({"industry": "saas", "goals": ["improve-onboarding"], "role": "x" * 200}, "role"),
    ],
)
def test_invalid_submission_shows_errors_and_stores_nothing(data: dict, field: str) -> None:
    response = Client().post("/start/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert COOKIE not in response.cookies
    assert not VisitorProfileRecord.objects.exists()


@pytest.mark.django_db
def test_form_is_prefilled_from_current_profile() -> None:
    client = client_with_profile("travel", goals=("increase-direct-bookings",))
    html = client.get("/start/").content.decode()
    assert response_has_checked(html, "industry", "travel")
    assert response_has_checked(html, "goals", "increase-direct-bookings")


def response_has_checked(html: str, name: str, value: str) -> bool:
    for tag in html.split("<input")[1:]:
        tag = tag.split(">", 1)[0]
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return "checked" in tag
    return False


@pytest.mark.django_db
def test_one_question_prompt_keeps_goals_and_changes_industry() -> None:
    client = client_with_profile("travel", goals=("increase-direct-bookings",))
    response = client.post("/start/industry/", {"industry": "saas", "next": "/contact/"})
    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    state = client.get("/api/personalization").json()
    assert state["industry"]["slug"] == "saas"
    assert state["goals"] == ["increase-direct-bookings"]
    bad = client.post("/start/industry/", {"industry": "mining"})
    assert bad.status_code == 400


@pytest.mark.django_db
def test_stale_profile_is_reconfirmed_with_one_question() -> None:
    stale = client_with_profile("saas", set_at=timezone.now() - timedelta(days=91))
    assert 'data-testid="reconfirm-prompt"' in stale.get("/").content.decode()
    fresh = client_with_profile("saas", set_at=timezone.now() - timedelta(days=10))
    assert 'data-testid="reconfirm-prompt"' not in fresh.get("/").content.decode()
    # Confirming resets the clock.
    stale.post("/start/industry/", {"industry": "saas", "next": "/"})
    assert 'data-testid="reconfirm-prompt"' not in stale.get("/").content.decode()


@pytest.mark.django_db
def test_forget_me_without_javascript() -> None:
    client = Client()
    client.post("/start/", {"industry": "saas", "goals": ["improve-onboarding"]})
    assert VisitorProfileRecord.objects.count() == 1
    response = client.post("/start/forget/")
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""
    assert VisitorProfileRecord.objects.count() == 0
