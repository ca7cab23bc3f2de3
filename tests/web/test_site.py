"""Demo seed, leads, Wagtail admin screens and preview modes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from wagtail.models import Page, Revision

from persx.catalog.models import Industry, Persona
from persx.content import models as content
from persx.content.models import StandardPage
from persx.demo.services import SITE_FILE, seed_demo
from persx.leads.models import Lead
from tests.web.conftest import client_with_profile, variants


@pytest.mark.django_db
def test_seed_is_idempotent() -> None:
    before = (Page.objects.count(), Revision.objects.count(), content.TestIdea.objects.count())
    report = seed_demo()
    assert report.created == []
    assert (
        Page.objects.count(),
        Revision.objects.count(),
        content.TestIdea.objects.count(),
    ) == before


def _site_file_with_about_headline(tmp_path: Path, headline: str) -> Path:
    data = json.loads(SITE_FILE.read_text(encoding="utf-8"))
    hero = next(b for b in data["about"]["body"] if b["type"] == "hero")
    hero["base"]["headline"] = headline
    path = tmp_path / "site.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _about_headline() -> str:
    about = StandardPage.objects.get(slug="about")
    hero = next(b for b in about.body if b.block_type == "hero")
    return str(hero.value["base"]["headline"])


@pytest.mark.django_db
def test_reseeding_brings_seed_only_pages_up_to_date(tmp_path: Path) -> None:
    newer = _site_file_with_about_headline(tmp_path, "A newer demo headline")
    report = seed_demo(newer)
    assert report.created == []
    assert report.updated == ["page /about/ (body)"]
    assert _about_headline() == "A newer demo headline"
    assert StandardPage.objects.get(slug="about").live
    assert seed_demo(newer).updated == []  # same file again: nothing changes


@pytest.mark.django_db
def test_reseeding_leaves_a_page_an_editor_saved(tmp_path: Path, admin_user: Any) -> None:
    about = StandardPage.objects.get(slug="about")
    about.title = "About us (edited)"
    about.save_revision(user=admin_user).publish()
    report = seed_demo(_site_file_with_about_headline(tmp_path, "A newer demo headline"))
    assert report.updated == []
    assert _about_headline() != "A newer demo headline"
    assert StandardPage.objects.get(slug="about").title == "About us (edited)"


@pytest.mark.django_db
def test_seeded_about_page_covers_every_industry() -> None:
    about = StandardPage.objects.get(slug="about")
    industries = {f"industry:{i.slug}" for i in Industry.objects.all()}
    for block_type in ("hero", "feature_grid"):
        block = next(b for b in about.body if b.block_type == block_type)
        assert {v["audience"] for v in block.value["variants"]} >= industries, block_type


@pytest.mark.django_db
def test_seeded_demo_has_what_the_site_promises() -> None:
    assert Industry.objects.count() == 5
    assert Persona.objects.count() == 15
    assert content.TestIdea.objects.count() >= 30
    assert Page.objects.live().filter(depth=4).count() >= 6  # blog posts
    contact = StandardPage.objects.get(slug="contact")
    form = next(c for c in contact.body if c.block_type == "contact_form")
    audiences = {v["audience"] for v in form.value["variants"]}
    assert {f"industry:{i.slug}" for i in Industry.objects.all()} <= audiences


@pytest.mark.django_db
def test_contact_form_stores_a_lead_with_what_the_visitor_saw() -> None:
    client = client_with_profile("saas")
    response = client.post(
        "/contact/submit/",
        {
            "name": "Ada",
            "email": "ada@example.com",
            "company": "Relaydesk",
            "variant": "industry:saas",
            "next": "/contact/",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/contact/?sent=1")
    lead = Lead.objects.get()
    assert (lead.industry, lead.variant, lead.email) == ("saas", "industry:saas", "ada@example.com")
    assert 'data-testid="contact-sent"' in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_bad_lead_is_refused_naming_the_field() -> None:
    response = Client().post("/contact/submit/", {"name": "Ada", "email": "not-an-email"})
    assert response.status_code == 400
    assert "email" in response.json()["message"]
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_wagtail_admin_screens_load(admin_client: Client) -> None:
    contact = StandardPage.objects.get(slug="contact")
    for url in (
        "/cms/",
        f"/cms/pages/{contact.pk}/edit/",
        "/cms/snippets/persx_catalog/persona/",
        "/cms/snippets/persx_leads/lead/",
        "/cms/snippets/persx_content/testidea/",
    ):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_preview_modes_render_each_audience(db: None) -> None:
    contact = StandardPage.objects.get(slug="contact")
    modes = dict(contact.preview_modes)
    assert "industry:healthcare" in modes
    assert "persona:saas-growth-lead" in modes
    for mode, expected in (
        ("industry:healthcare", "industry:healthcare"),
        ("persona:saas-growth-lead", "persona:saas-growth-lead"),
        ("generic", "generic"),
    ):
        response = contact.make_preview_request(preview_mode=mode)
        assert response.status_code == 200, mode
        if hasattr(response, "render"):
            response.render()
        assert ("contact-reasons", expected) in variants(response.content), mode


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404() -> None:
    response = client_with_profile("saas").get("/no-such-page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


@pytest.mark.django_db
def test_leads_list_shows_names_with_the_key_as_tooltip(admin_client: Client) -> None:
    Lead.objects.create(
        name="Pat", email="pat@example.com", industry="saas", variant="persona:saas-demand-gen"
    )
    html = admin_client.get("/cms/snippets/persx_leads/lead/").content.decode()
    persona = Persona.objects.get(slug="saas-demand-gen")
    assert f'<span title="persona:saas-demand-gen">{persona.name} (SaaS)</span>' in html
    assert '<span title="industry:saas">SaaS</span>' in html
