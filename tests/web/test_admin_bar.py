"""Staff see each block's decision and can preview any audience without touching their profile."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.web.conftest import variants


@pytest.fixture
def staff_client(db: None) -> Client:
    user = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_bar_shows_profile_and_decisions(staff_client: Client) -> None:
    staff_client.get("/?industry=travel")
    html = staff_client.get("/contact/").content.decode()
    assert 'data-testid="admin-bar"' in html
    assert html.count('data-testid="admin-bar-decision"') == 3
    assert "industry_match" in html
    assert 'data-testid="admin-bar"' not in Client().get("/contact/").content.decode()


@pytest.mark.django_db
def test_preview_changes_blocks_but_not_the_real_profile(staff_client: Client) -> None:
    staff_client.get("/?industry=travel")
    preview = staff_client.get("/contact/?persx_preview=persona:saas-growth-lead")
    assert ("contact-reasons", "persona:saas-growth-lead") in variants(preview.content)
    # The preview sticks for the session...
    again = staff_client.get("/about/")
    assert (
        'Preview: <span title="persona:saas-growth-lead">Growth Lead Sam (SaaS)</span>'
        in again.content.decode()
    )
    # ...while the real profile is untouched.
    assert staff_client.get("/api/personalization").json()["industry"]["slug"] == "travel"
    generic = staff_client.get("/contact/?persx_preview=generic")
    assert all(v == "generic" for _, v in variants(generic.content))
    back = staff_client.get("/contact/?persx_preview=off")
    assert ("contact-reasons", "industry:travel") in variants(back.content)


@pytest.mark.django_db
def test_preview_is_ignored_for_visitors_and_unknown_audiences(staff_client: Client) -> None:
    visitor = Client().get("/contact/?persx_preview=industry:saas")
    assert all(v == "generic" for _, v in variants(visitor.content))
    unknown = staff_client.get("/contact/?persx_preview=industry:mining")
    assert unknown.status_code == 200
    assert all(v == "generic" for _, v in variants(unknown.content))


@pytest.mark.django_db
def test_admin_bar_shows_names_with_the_keys_as_tooltips(staff_client: Client) -> None:
    staff_client.get("/?industry=travel")
    html = staff_client.get("/contact/").content.decode()
    assert '<span title="industry:travel">Travel &amp; Hospitality</span>' in html
    assert '<span title="industry_match">Industry match</span>' in html
    assert '<span title="contact_form">Contact form</span>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("persona:healthcare-patient-acquisition", "Patient Acquisition Priya (Healthcare)"),
        ("industry:travel", "Travel &amp; Hospitality"),
        ("generic", "Generic"),
    ],
)
def test_the_preview_label_names_the_audience_not_its_key(
    staff_client: Client, key: str, name: str
) -> None:
    """Issue 15: the label showed the raw key (``persona:healthcare-patient-acquisition``)."""
    html = staff_client.get(f"/contact/?persx_preview={key}").content.decode()
    label = html.split('data-testid="admin-bar-preview">', 1)[1].split("</span></span>", 1)[0]
    assert label == f'Preview: <span title="{key}">{name}'
