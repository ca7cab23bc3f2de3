"""The side-by-side preview: panes are the live page rendered by its real templates for an
audience, through ``use_preview``; nothing is saved or measured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from wagtail.models import Page

from persx.config import config
from persx.content.models import StandardPage
from persx.events import exposure_writer
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import client_with_profile, variants

pytestmark = pytest.mark.django_db


def contact() -> StandardPage:
    return StandardPage.objects.get(slug="contact")


def pane(client: Client, audience: str, **query: str) -> list[tuple[str, str]]:
    response = client.get(
        f"/cms/studio/preview/{contact().pk}/render/", {"audience": audience, **query}
    )
    assert response.status_code == 200, response.content[:300]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    return variants(response.content)


def test_panes_render_the_page_for_the_audience_and_generic(admin_client: Client) -> None:
    assert {v for _, v in pane(admin_client, "generic")} == {"generic"}
    saas = dict(pane(admin_client, "industry:saas"))
    assert saas["hero"] == "industry:saas"
    assert saas["contact-form"] == "industry:saas"
    persona = dict(pane(admin_client, "persona:saas-growth-lead"))
    assert persona["contact-form"] == "persona:saas-growth-lead"
    assert persona["hero"] == "industry:saas"  # the hero has no persona variant: inherits


def test_previewing_saves_no_profile_and_measures_nothing(admin_client: Client) -> None:
    profiles_before = VisitorProfileRecord.objects.count()
    exposure_writer.writer().discard_pending()
    client_with_profile("travel").get("/contact/")  # a real visit is measured...
    assert exposure_writer.writer().discard_pending() > 0
    pane(admin_client, "industry:travel")  # ...a preview of the same audience is not
    assert VisitorProfileRecord.objects.count() == profiles_before
    assert config().profile_cookie_name not in admin_client.cookies
    assert exposure_writer.writer().discard_pending() == 0


def test_at_shows_a_scheduled_variant_before_it_goes_live(admin_client: Client) -> None:
    page = contact()
    raw = page.body.raw_data
    starts = datetime.now(UTC) + timedelta(days=10)
    for block in raw:
        if block["type"] == "hero":
            for item in block["value"]["variants"]:
                value = item.get("value", item)
                if value["audience"] == "industry:saas":
                    value["live_from"] = starts.isoformat()
    page.body = raw
    page.save_revision().publish()
    assert dict(pane(admin_client, "industry:saas"))["hero"] == "generic"
    later = (starts + timedelta(hours=1)).isoformat()
    assert dict(pane(admin_client, "industry:saas", at=later))["hero"] == "industry:saas"


@pytest.mark.parametrize(
    ("query", "field"),
    [({"audience": "industry:mining"}, b"audience"), ({"at": "next tuesday"}, b"at")],
)
def test_bad_preview_input_is_a_400_naming_the_field(
    admin_client: Client, query: dict[str, str], field: bytes
) -> None:
    response = admin_client.get(f"/cms/studio/preview/{contact().pk}/render/", query)
    assert response.status_code == 400
    assert response.content.startswith(field + b":")
    response = admin_client.get("/cms/studio/preview/", {"page": contact().pk, **query})
    assert response.status_code == 400


def test_unknown_or_non_personalized_page_is_404(admin_client: Client) -> None:
    assert admin_client.get("/cms/studio/preview/999999/render/").status_code == 404
    index_id = Page.objects.get(slug="blog").pk
    assert admin_client.get(f"/cms/studio/preview/{index_id}/render/").status_code == 404


def test_preview_page_shows_both_panes_at_both_widths(admin_client: Client) -> None:
    page = contact()
    response = admin_client.get(
        "/cms/studio/preview/", {"page": page.pk, "audience": "persona:travel-loyalty-crm"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    render = f"/cms/studio/preview/{page.pk}/render/"
    for testid in ("pane-generic-desktop", "pane-generic-mobile"):
        assert f'src="{render}?audience=generic" data-testid="{testid}"' in html
    for testid in ("pane-audience-desktop", "pane-audience-mobile"):
        assert (
            f'src="{render}?audience=persona%3Atravel-loyalty-crm" data-testid="{testid}"' in html
        )
    assert "Loyalty Lead Lena (Travel &amp; Hospitality)" in html
