"""The start form and the one-question prompt work without JavaScript (plain POSTs)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import client_with_profile, profile_cookie, variants

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
    client = client_with_profile("travel", goals=("increase-cross-sell",))
    response = client.post("/start/industry/", {"industry": "saas", "next": "/contact/"})
    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    state = client.get("/api/personalization").json()
    assert state["industry"]["slug"] == "saas"
    assert state["goals"] == ["increase-cross-sell"]  # a goal of both industries
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


def industry_of(client: Client) -> str:
    return str(client.get("/api/personalization").json()["industry"]["slug"])


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["/start/", "/start/industry/"])
def test_a_choice_made_after_a_campaign_link_wins_over_the_link(form: str) -> None:
    """Issue 15: /contact/?industry=saas, the chip (or "Update my industry"), Healthcare:
    back on Contact as Healthcare, and Healthcare stays on every later page."""
    client = Client()
    landing = "/contact/?industry=saas&utm_source=newsletter&utm_campaign=q3"
    assert client.get(landing).status_code == 200
    assert industry_of(client) == "saas"
    start = client.get(f"/start/?next={quote(landing)}")
    assert (
        start.context["form"]["next"].value() == "/contact/?utm_source=newsletter&utm_campaign=q3"
    )
    response = client.post(
        form, {"industry": "healthcare", "goals": ["improve-patient-acquisition"], "next": landing}
    )
    assert response.status_code == 302
    # Back where they were, every other parameter kept, the profile-setting one dropped.
    assert response["Location"] == "/contact/?utm_source=newsletter&utm_campaign=q3"
    client.get(response["Location"])
    assert industry_of(client) == "healthcare"
    for page in ("/", "/about/", "/contact/"):
        assert client.get(page).status_code == 200
    assert industry_of(client) == "healthcare"
    # Even the landing URL itself (a reload, the back button) does not overrule the choice.
    client.get(landing)
    assert industry_of(client) == "healthcare"


@pytest.mark.django_db
def test_forget_me_does_not_send_the_visitor_back_to_a_link_that_sets_a_profile() -> None:
    client = Client()
    client.get("/contact/?industry=saas")
    response = client.post("/start/forget/", {"next": "/contact/?industry=saas&page=2"})
    assert response["Location"] == "/contact/?page=2"


@pytest.mark.django_db
def test_after_an_api_choice_a_reload_of_the_landing_url_keeps_it_but_a_new_link_wins() -> None:
    """The rule (docs/profile-precedence.md): a link's industry is applied once per value."""
    client = Client()
    client.get("/contact/?industry=saas")
    client.get("/api/personalization")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    put = client.put(
        "/api/personalization",
        {"industry": "healthcare"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert put.status_code == 200
    client.get("/contact/?industry=saas")  # the reload of the tab still on the landing URL
    assert industry_of(client) == "healthcare"
    client.get("/contact/?industry=travel")  # a different link: an explicit choice now
    assert industry_of(client) == "travel"
    client.get("/contact/?industry=saas")  # and another: applied again
    assert industry_of(client) == "saas"


@pytest.mark.django_db
def test_a_link_to_the_industry_one_already_has_is_noted_so_a_later_choice_stands() -> None:
    client = client_with_profile("saas")
    response = client.get("/?industry=saas")
    assert COOKIE in response.cookies  # the cookie now remembers the link's value
    client.post("/start/industry/", {"industry": "travel", "next": "/"})
    client.get("/?industry=saas")
    assert industry_of(client) == "travel"


@pytest.mark.django_db
def test_changing_industry_drops_the_old_industrys_goals_and_keeps_shared_ones() -> None:
    """Issue 15: Healthcare → Travel kept "Improve patient acquisition"."""
    client = Client()
    healthcare_goals = [
        "improve-patient-acquisition",
        "increase-conversion-rate",  # every industry works on it
        "reduce-churn",  # healthcare, not travel
    ]
    client.post("/start/", {"industry": "healthcare", "goals": healthcare_goals})
    # The start form still has them ticked (hidden under "Show all goals") when Travel is
    # chosen; the visitor adds a goal of its own.
    client.post(
        "/start/", {"industry": "travel", "goals": [*healthcare_goals, "increase-direct-bookings"]}
    )
    state = client.get("/api/personalization").json()
    assert state["industry"]["slug"] == "travel"
    assert state["goals"] == ["increase-conversion-rate", "increase-direct-bookings"]
    record = VisitorProfileRecord.objects.get()
    assert list(record.goals) == ["increase-conversion-rate", "increase-direct-bookings"]
    html = client.get("/start/").content.decode()
    assert not response_has_checked(html, "goals", "improve-patient-acquisition")


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["prompt", "api", "link"])
def test_every_way_of_changing_industry_drops_goals_of_the_old_one(how: str) -> None:
    client = client_with_profile(
        "healthcare", goals=("improve-patient-acquisition", "increase-conversion-rate")
    )
    if how == "prompt":
        client.post("/start/industry/", {"industry": "travel", "next": "/"})
    elif how == "api":
        client.get("/api/personalization")
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        client.put(
            "/api/personalization",
            {"industry": "travel"},
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
    else:
        client.get("/?industry=travel")
    state = client.get("/api/personalization").json()
    assert state["industry"]["slug"] == "travel"
    assert state["goals"] == ["increase-conversion-rate"]


@pytest.mark.django_db
def test_a_goal_added_with_the_new_industry_is_kept_even_if_it_is_another_industrys() -> None:
    client = client_with_profile("saas", goals=("improve-trial-to-paid",))
    client.post("/start/", {"industry": "travel", "goals": ["improve-patient-acquisition"]})
    assert client.get("/api/personalization").json()["goals"] == ["improve-patient-acquisition"]


@pytest.mark.django_db
def test_the_readme_and_the_start_form_claim_the_same_time() -> None:
    """Issue 15: the README said "20-second start form", the page "about 30 seconds"."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    claimed = set(re.findall(r"(\d+)-second start form", readme.replace("\n", " ")))
    page = Client().get("/start/")
    said = re.findall(
        r'data-testid="start-duration">Takes about (\d+) seconds<', page.content.decode()
    )
    assert said
    assert claimed == set(said), f"README claims {claimed}, the page says {said}"


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/contact/", "/contact/"),
        ("/contact/?industry=saas", "/contact/"),
        ("/blog/?industry=saas&industry=travel&page=2", "/blog/?page=2"),
        ("/blog/?utm_source=a+b&industry=&tag=", "/blog/?utm_source=a+b&tag="),
        ("/blog/?page=2&utm_campaign=q3", "/blog/?page=2&utm_campaign=q3"),
    ],
)
def test_the_way_back_drops_only_the_profile_parameters(path: str, back: str) -> None:
    from persx.profiles.link_params import without_profile_params

    assert without_profile_params(path) == back


@pytest.mark.django_db
def test_the_cookie_remembers_only_a_known_industry_as_the_last_link() -> None:
    from persx.catalog.repository import current_catalog
    from persx.profiles import cookie

    profile = cookie.decode(profile_cookie("saas"), current_catalog()).profile
    assert profile is not None
    for stated, kept in (("travel", "travel"), ("mining", ""), ("", "")):
        raw = cookie.encode(profile, timezone.now(), stated)
        assert cookie.decode(raw, current_catalog()).link == kept
