"""Measurement (reports, exports, overview, health, inference, persona review, bandits)
needs its own permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from persx.analytics.permissions import ANALYSTS_GROUP
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT

PAGES = [
    "/cms/measurement/overview/",
    "/cms/measurement/experiments/",
    "/cms/measurement/experiments/pli-contact/",
    "/cms/measurement/experiments/pli-contact/report.csv",
    "/cms/measurement/experiments/pli-contact/report.json",
    "/cms/health/",
    "/cms/health/reports/",
    "/cms/health/reports/1/",  # refused before it is looked up (none exists)
    "/cms/measurement/bandits/",
    "/cms/measurement/bandits/no-such-bandit/",  # the same
    "/cms/inference/",
    "/cms/persona-review/",
    "/cms/persona-review/review.csv",
    "/cms/persona-review/review.md",
]


def _user_in(group_names: list[str], username: str) -> Client:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw-12345")
    user.is_staff = True
    user.save()
    for name in group_names:
        user.groups.add(Group.objects.get(name=name))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_editor_can_use_the_cms_but_not_see_measurement() -> None:
    editor = _user_in(["Editors"], "eddie")
    assert editor.get("/cms/").status_code == 200
    menu = editor.get("/cms/").content.decode()
    assert "Measurement" not in menu
    assert "Visitor inference" not in menu
    assert "Persona review" not in menu
    for url in PAGES:
        response = editor.get(url)
        assert response.status_code in (302, 403), url  # refused (Wagtail redirects some)
        assert b"PLI" not in response.content, url


@pytest.mark.django_db
def test_an_analyst_sees_reports_and_exports() -> None:
    analyst = _user_in([ANALYSTS_GROUP], "ana")
    for url in [
        "/cms/measurement/overview/",
        "/cms/measurement/experiments/",
        "/cms/health/",
        "/cms/measurement/bandits/",
        "/cms/inference/",
        "/cms/persona-review/",
        "/cms/persona-review/review.csv",
    ]:
        assert analyst.get(url).status_code == 200, url
    menu = analyst.get("/cms/").content.decode()
    assert "Measurement" in menu
    assert "Visitor inference" in menu
    assert "Persona review" in menu


@pytest.mark.django_db
def test_the_analysts_group_may_see_measurement_but_not_edit_anything() -> None:
    codenames = set(
        Permission.objects.filter(group__name=ANALYSTS_GROUP).values_list("codename", flat=True)
    )
    assert {"view_measurement", "access_admin"} <= codenames
    assert not {c for c in codenames if c.startswith(("add_", "change_", "delete_"))}


@pytest.mark.django_db
def test_a_detail_screen_leads_back_to_its_list() -> None:
    analyst = _user_in([ANALYSTS_GROUP], "ana")
    response = analyst.get(f"/cms/measurement/experiments/{HOLDOUT_EXPERIMENT}/")
    assert response.status_code == 200
    html = response.content.decode()
    crumbs = html[html.index("breadcrumb") :]
    name = response.context["report"].design.name
    assert crumbs.index('href="/cms/measurement/experiments/"') < crumbs.index(name)
