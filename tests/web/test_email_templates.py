"""Email templates in the admin (persx/campaigns): validated like pages, edited as snippets
with the preview and the merge-field download; the merge-field export (command and
button) and the studio's email preview. Against the seeded demo and real contacts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from persx.accounts.models import Account
from persx.campaigns.export import export_csv
from persx.campaigns.merge_fields import COLUMN_NAME
from persx.campaigns.models import EmailTemplate
from persx.campaigns.rendering import recipient_for_contact, render_for_recipient
from persx.demo.demo_email import DEMO_EMAIL_SLUG, seed_demo_email
from persx.experiments.services import create_experiment
from persx.newsletter.models import Contact
from persx.newsletter.tokens import contact_from_unsubscribe
from tests.web.conftest import SITE_DATA

HERO_BASE = {"headline": "Hello", "subheadline": "", "cta_label": "Go", "cta_url": "/contact/"}


def welcome() -> EmailTemplate:
    return EmailTemplate.objects.get(slug=DEMO_EMAIL_SLUG)


def hero_variant(industry: str) -> dict[str, Any]:
    hero = next(b for b in SITE_DATA["home"]["body"] if b["type"] == "hero")
    return next(v["content"] for v in hero["variants"] if v["audience"] == f"industry:{industry}")


def contacts() -> list[Contact]:
    account = Account.objects.create(domain="northwind-health.example")
    return [
        Contact.objects.create(
            email="ana@northwind-health.example",
            status=Contact.Status.SUBSCRIBED,
            visitor_id="a1" * 16,
            industry="healthcare",
            account=account,
        ),
        Contact.objects.create(
            email="bo@example.org", status=Contact.Status.SUBSCRIBED, industry="saas"
        ),
        Contact.objects.create(email="cy@example.org", status=Contact.Status.SUBSCRIBED),
        Contact.objects.create(
            email="di@example.org", status=Contact.Status.UNSUBSCRIBED, industry="saas"
        ),
        Contact.objects.create(email="ed@example.org", status=Contact.Status.PENDING),
    ]


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- the model and the admin ------------------------------------------------------------


@pytest.mark.django_db
def test_invalid_blocks_are_refused_naming_block_and_field() -> None:
    body = [
        {"type": "hero", "value": {"base": {**HERO_BASE, "headline": ""}, "variants": []}},
        {
            "type": "cta",
            "value": {
                "base": {"headline": "Hi", "text": "", "button_label": "Go", "button_url": "/"},
                "variants": [
                    {
                        "audience": "industry:mining",
                        "content": {"headline": "Hi", "button_label": "Go", "button_url": "/"},
                        "live_from": None,
                        "live_until": None,
                    }
                ],
            },
        },
    ]
    template = EmailTemplate(name="Bad", slug="bad", subject="S", body=json.dumps(body))
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    messages = info.value.message_dict["body"]
    assert any("hero block #1 base" in m and "headline" in m for m in messages), messages
    assert any("cta block #2 variant #1" in m and "mining" in m for m in messages), messages
    assert not EmailTemplate.objects.filter(slug="bad").exists()


@pytest.mark.django_db
def test_a_slug_must_be_lower_case_words_with_hyphens() -> None:
    template = EmailTemplate(name="x", slug="Not OK", subject="S", body="[]")
    with pytest.raises(ValidationError) as info:
        template.full_clean()
    assert "slug" in info.value.message_dict


@pytest.mark.django_db
def test_the_admin_lists_templates_and_the_edit_screen_offers_preview_and_export(
    admin_client: Client,
) -> None:
    index = admin_client.get(reverse("wagtailsnippets_persx_campaigns_emailtemplate:list"))
    assert index.status_code == 200
    assert "Welcome to PersX" in index.content.decode()
    template = welcome()
    edit = admin_client.get(
        reverse("wagtailsnippets_persx_campaigns_emailtemplate:edit", args=[template.pk])
    )
    assert edit.status_code == 200
    html = edit.content.decode()
    assert reverse("persx_campaigns_merge_fields", args=[template.pk]) in html
    assert reverse("persx_studio_email_preview") + f"?template={template.pk}" in html


# --- the export -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_writes_one_row_per_subscribed_contact_with_its_own_content(
    tmp_path: Path,
) -> None:
    made = contacts()
    out = tmp_path / "welcome.csv"
    err = io.StringIO()
    call_command("persx_email_export", DEMO_EMAIL_SLUG, "--output", str(out), stderr=err)
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert [r["EMAIL"] for r in rows] == [c.email for c in made[:3]]
    by_email = {r["EMAIL"]: r for r in rows}
    healthcare = by_email["ana@northwind-health.example"]
    assert healthcare["INDUSTRY"] == "healthcare"
    assert healthcare["HERO_VAR"] == "industry:healthcare"
    assert healthcare["HERO_HEAD"] == hero_variant("healthcare")["headline"]
    assert healthcare["HERO_URL"].startswith("http")  # absolute
    generic = by_email["cy@example.org"]
    assert generic["HERO_VAR"] == "generic"
    assert (
        generic["HERO_HEAD"]
        == next(b for b in SITE_DATA["home"]["body"] if b["type"] == "hero")["base"]["headline"]
    )
    # Each row's unsubscribe link names its own contact.
    for row, contact in zip(rows, made[:3], strict=True):
        token = row["UNSUB_URL"].rstrip("/").rsplit("/", 1)[1]
        assert contact_from_unsubscribe(token) == contact
        assert row["SUBJECT"] == welcome().subject
    # Column names every platform accepts as a merge tag.
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert all(COLUMN_NAME.match(name) for name in header), header
    assert len(set(header)) == len(header)
    assert {"HERO_HEAD", "HERO_TEXT", "CTA_BTN", "CTA_URL", "QUOTE", "FEAT_T1"} <= set(header)
    # Progress on standard error, ending with the total.
    progress = err.getvalue()
    assert "3/3 contacts" in progress
    assert f"Exported 3 contact(s) of '{DEMO_EMAIL_SLUG}'" in progress


@pytest.mark.django_db
def test_the_command_exports_another_status_when_asked() -> None:
    contacts()
    out = io.StringIO()
    call_command(
        "persx_email_export",
        DEMO_EMAIL_SLUG,
        "--status",
        "unsubscribed",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert [r["EMAIL"] for r in rows_of(out.getvalue())] == ["di@example.org"]


@pytest.mark.django_db
def test_an_unknown_slug_is_a_clear_error_naming_it() -> None:
    with pytest.raises(CommandError) as info:
        call_command("persx_email_export", "no-such-email", stdout=io.StringIO())
    assert "no-such-email" in str(info.value)
    assert DEMO_EMAIL_SLUG in str(info.value)  # the known ones are listed


@pytest.mark.django_db
def test_an_unwritable_output_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as info:
        call_command(
            "persx_email_export",
            DEMO_EMAIL_SLUG,
            "--output",
            str(tmp_path / "missing-dir" / "x.csv"),
            stderr=io.StringIO(),
        )
    assert "--output" in str(info.value)


@pytest.mark.django_db
def test_the_download_button_streams_the_same_rows(admin_client: Client) -> None:
    contacts()
    url = reverse("persx_campaigns_merge_fields", args=[welcome().pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    out = io.StringIO()
    call_command("persx_email_export", DEMO_EMAIL_SLUG, stdout=out, stderr=io.StringIO())
    assert rows_of(body) == rows_of(out.getvalue())
    assert len(rows_of(body)) == 3


@pytest.mark.django_db
def test_the_download_refuses_a_bad_status_and_unknown_templates(admin_client: Client) -> None:
    url = reverse("persx_campaigns_merge_fields", args=[welcome().pk])
    bad = admin_client.get(url + "?status=everyone")
    assert bad.status_code == 400
    assert b"status" in bad.content
    missing = admin_client.get(reverse("persx_campaigns_merge_fields", args=[999999]))
    assert missing.status_code == 404


@pytest.mark.django_db
def test_only_who_may_see_contacts_downloads_them() -> None:
    contacts()
    editor = get_user_model().objects.create_user("ed", "ed@example.com", "pw")
    group = Group.objects.create(name="Email editors")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="change_emailtemplate"),
    )
    editor.groups.add(group)
    client = Client()
    client.force_login(editor)
    url = reverse("persx_campaigns_merge_fields", args=[welcome().pk])
    refused = client.get(url)
    # Wagtail's admin answers a refusal by sending the user back to the dashboard.
    assert refused.status_code == 302
    assert refused["Location"] == reverse("wagtailadmin_home")
    group.permissions.add(Permission.objects.get(codename="view_contact"))
    editor = get_user_model().objects.get(pk=editor.pk)  # permissions are cached per object
    client.force_login(editor)
    assert client.get(url).status_code == 200


# --- the studio's email preview ---------------------------------------------------------


@pytest.mark.django_db
def test_the_studio_preview_shows_the_audience_beside_generic(admin_client: Client) -> None:
    template = welcome()
    url = reverse("persx_studio_email_preview")
    response = admin_client.get(url, {"template": str(template.pk), "audience": "industry:saas"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'sandbox=""' in html
    assert escape(hero_variant("saas")["headline"]) in html  # the audience pane's plain text
    assert "industry:saas" in html
    render = reverse("persx_studio_email_render", args=[template.pk])
    pane = admin_client.get(render, {"audience": "industry:saas"})
    assert pane.status_code == 200
    assert hero_variant("saas")["headline"] in pane.content.decode()
    assert "<style" not in pane.content.decode()
    generic = admin_client.get(render)
    assert hero_variant("saas")["headline"] not in generic.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [({"audience": "industry:mining"}, b"audience"), ({"template": "abc"}, b"template")],
)
def test_the_studio_preview_refuses_bad_queries_naming_the_field(
    admin_client: Client, query: dict[str, str], field: bytes
) -> None:
    response = admin_client.get(reverse("persx_studio_email_preview"), query)
    assert response.status_code == 400
    assert field in response.content
    pane = admin_client.get(
        reverse("persx_studio_email_render", args=[welcome().pk]), {"audience": "nope"}
    )
    assert pane.status_code == 400
    assert (
        admin_client.get(reverse("persx_studio_email_preview"), {"template": 999999}).status_code
        == 404
    )


@pytest.mark.django_db
def test_the_studio_preview_without_templates_offers_to_add_one(admin_client: Client) -> None:
    EmailTemplate.objects.all().delete()
    response = admin_client.get(reverse("persx_studio_email_preview"))
    assert response.status_code == 200
    assert b"email-preview-empty" in response.content


@pytest.mark.django_db
def test_the_editor_previews_the_email_as_each_audience(admin_client: Client) -> None:
    template = welcome()
    modes = dict(template.preview_modes)
    assert modes["generic"] == "Generic (no profile)"
    assert "industry:healthcare" in modes
    assert "persona:saas-growth-lead" in modes
    request = RequestFactory().get("/")
    response = template.serve_preview(request, "industry:healthcare")
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(hero_variant("healthcare")["headline"]) in html
    assert "<style" not in html
    edit = admin_client.get(
        reverse("wagtailsnippets_persx_campaigns_emailtemplate:edit", args=[template.pk])
    )
    assert (
        reverse("wagtailsnippets_persx_campaigns_emailtemplate:preview_on_edit", args=[template.pk])
        in edit.content.decode()
    )


@pytest.mark.django_db
def test_the_export_names_each_contacts_experiment_and_arm_and_takes_a_link_function() -> None:
    create_experiment(
        key="hero-email",
        name="hero-email",
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        status="running",
        scope_kind="block_type",
        scope_value="hero",
    )
    made = contacts()
    out = io.StringIO()
    export_csv(welcome(), out, link=lambda url, key: f"https://t.example/{key}?to={url}")
    rows = rows_of(out.getvalue())
    for row, contact in zip(rows, made[:3], strict=True):
        mailed = render_for_recipient(welcome(), recipient_for_contact(contact))
        hero = next(c for c in mailed.choices if c.block_type == "hero")
        assert row["HERO_VAR"] == hero.variant
        if contact.industry:
            assert row["EXPERIMENT"] == "hero-email"
            assert row["ARM"] == hero.arm
            assert hero.arm in {"control", "personalized"}
        else:  # no profile: in no experiment, as on the site
            assert row["EXPERIMENT"] == row["ARM"] == ""
        hero_key = hero.block
        assert row["HERO_URL"].startswith(f"https://t.example/{hero_key}?to=http")
        assert row["CTA_URL"].startswith("https://t.example/")
        assert not row["UNSUB_URL"].startswith("https://t.example/")


@pytest.mark.django_db
def test_seeding_the_demo_email_again_changes_nothing() -> None:
    before = list(EmailTemplate.objects.values_list("pk", "updated_at"))
    assert seed_demo_email() is None
    assert list(EmailTemplate.objects.values_list("pk", "updated_at")) == before


# --- CSV injection: the export is opened in spreadsheets ----------------------------------


@pytest.mark.django_db
def test_an_address_that_would_run_as_a_formula_is_exported_inert() -> None:
    # "=" and "+" are legal in an address's local part: a signup can plant a formula that
    # a spreadsheet would run when the merge-field CSV is opened.
    Contact.objects.create(email="=2+5@example.org", status=Contact.Status.SUBSCRIBED)
    Contact.objects.create(email="-1+1@example.org", status=Contact.Status.SUBSCRIBED)
    out = io.StringIO()
    export_csv(welcome(), out)
    emails = [row["EMAIL"] for row in rows_of(out.getvalue())]
    assert "'=2+5@example.org" in emails
    assert "'-1+1@example.org" in emails
    assert not any(e[:1] in {"=", "+", "-", "@"} for e in emails)


@pytest.mark.django_db
def test_ordinary_addresses_and_urls_leave_the_export_unchanged() -> None:
    # Beside the guard: plus-addressing, dashes and the links inside a cell are untouched.
    Contact.objects.create(email="ana+news@north-wind.example", status="subscribed")
    out = io.StringIO()
    export_csv(welcome(), out)
    (row,) = rows_of(out.getvalue())
    assert row["EMAIL"] == "ana+news@north-wind.example"
    assert row["UNSUB_URL"].startswith("http")
    assert row["CTA_URL"].startswith(("http", "/"))
