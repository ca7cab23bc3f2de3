"""Data rights (issue 11): export and erasure by the visitor (page, API) and by an admin on
request by email; rollups forget an erased visitor; reports count consenting visitors only."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from persx.analytics.models import DailyRollup, ExperimentVisitor, VisitorConversion
from persx.analytics.services import rebuild_rollups, update_rollups
from persx.engine.visitor.profile import ConsentState
from persx.events import exposure_writer
from persx.events.models import Event
from persx.leads.models import Lead
from persx.privacy import holders
from persx.privacy.models import DataRequest, ErasedVisitor
from persx.privacy.tombstones import tombstone_key
from tests.web.analytics_events import EventLog, at
from tests.web.conftest import client_with_profile
from tests.web.consent_support import with_consent

ANN = "a" * 32
BOB = "b" * 32


def test_every_model_with_a_visitor_id_is_exported_and_erased_by_some_holder() -> None:
    with_visitor_ids = {
        model
        for model in apps.get_models()
        if any(f.name == "visitor_id" for f in model._meta.concrete_fields)
    }
    assert with_visitor_ids  # the check looks at something
    assert with_visitor_ids <= holders.covered_models(), with_visitor_ids - (
        holders.covered_models()
    )


def ann_with_data() -> Client:
    """Ann: profile cookie + durable record, page views, a click, a lead."""
    client = with_consent(client_with_profile("saas", visitor_id=ANN), ConsentState.GRANTED)
    client.post("/start/", {"industry": "saas", "goals": ["improve-onboarding"]})
    client.get("/contact/")
    client.post(
        "/contact/submit/",
        {"name": "Ann Example", "email": "ann@example.com", "next": "/contact/"},
    )
    exposure_writer.flush()
    return client


@pytest.mark.django_db
def test_the_visitor_downloads_everything_held_as_json_and_the_log_holds_no_personal_data(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = ann_with_data()
    visitor_id = client.get("/api/personalization").json()["visitor_id"]
    assert visitor_id
    with caplog.at_level(logging.INFO, logger="persx.privacy"):
        response = client.get("/api/personalization/export")
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {"profile", "events", "leads", "behaviour_signals", "rollups"}
    assert data["visitor_ids"] == [visitor_id]
    assert data["profile"]["cookie"]["industry"] == "saas"
    assert [r["visitor_id"] for r in data["profile"]["stored_records"]] == [visitor_id]
    types = {e["type"] for e in data["events"]}
    assert {"page_view", "exposure", "form_submission", "start_form_submitted"} <= types
    assert [lead["email"] for lead in data["leads"]] == ["ann@example.com"]

    page = client.post("/privacy/export/")
    assert page.status_code == 200
    assert page["Content-Disposition"] == 'attachment; filename="persx-my-data.json"'
    assert json.loads(page.content)["leads"][0]["name"] == "Ann Example"

    logged = DataRequest.objects.filter(kind="export")
    assert [r.channel for r in logged.order_by("at")] == ["api", "visitor_page"]
    stored_log = json.dumps(list(logged.values("subject_key", "counts", "requested_by")))
    written = stored_log + " ".join(r.getMessage() + str(r.__dict__) for r in caplog.records)
    for personal in (visitor_id, "ann@example.com", "Ann Example"):
        assert personal not in written
    assert logged.first() is not None
    assert logged.first().counts["leads"] == 1  # type: ignore[union-attr]


@pytest.mark.django_db
def test_forget_me_erases_leads_events_records_and_tombstones_the_id() -> None:
    client = ann_with_data()
    visitor_id = client.get("/api/personalization").json()["visitor_id"]
    assert Lead.objects.filter(visitor_id=visitor_id).count() == 1
    client.get("/api/personalization")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.delete("/api/personalization", headers={"X-CSRFToken": token})
    assert response.status_code == 200
    erased = response.json()["erased"]
    assert erased["leads"] == 1
    assert erased["profile"] == 1
    assert erased["events"] >= 4
    assert not Lead.objects.exists()
    assert not Event.objects.filter(visitor_id=visitor_id).exists()
    assert ErasedVisitor.objects.filter(key=tombstone_key(visitor_id)).exists()
    assert not ErasedVisitor.objects.filter(key__contains=visitor_id).exists()
    log = DataRequest.objects.get(kind="erase")
    assert log.channel == "api"
    assert log.counts == erased


@pytest.mark.django_db
def test_the_privacy_page_erases_without_javascript_and_keeps_the_consent_choice() -> None:
    client = ann_with_data()
    page = client.get("/privacy/")
    assert page.status_code == 200
    assert b'data-testid="privacy-erase"' in page.content
    response = client.post("/privacy/erase/", {"next": "/privacy/?erased=1"})
    assert response.status_code == 302
    assert response["Location"] == "/privacy/?erased=1"
    assert response.cookies["persx_profile"].value == ""  # deleted
    assert "persx_consent" not in response.cookies  # the choice stays
    assert not Lead.objects.exists()
    assert not Event.objects.exists()
    assert b"has been erased" in client.get("/privacy/?erased=1").content


def rollup_story() -> None:
    log = EventLog()
    for visitor, arm in ((ANN, "personalized"), (BOB, "personalized"), ("c" * 32, "control")):
        log.exposure(visitor, at(1), arm=arm, consent="granted")
        log.event("cta_click", visitor, at(1, 11))
    log.save()


def cta_totals() -> tuple[int, int]:
    rows = DailyRollup.objects.filter(experiment="exp-a", metric="cta_click", arm="personalized")
    return sum(r.visitors for r in rows), sum(r.conversions for r in rows)


@pytest.mark.django_db
def test_an_erased_visitor_no_longer_counts_in_the_reports() -> None:
    rollup_story()
    update_rollups()
    assert cta_totals() == (2, 2)
    client = client_with_profile("saas", visitor_id=ANN)
    assert client.post("/start/forget/").status_code == 302
    assert cta_totals() == (1, 1)
    assert not ExperimentVisitor.objects.filter(visitor_id=ANN).exists()
    assert not VisitorConversion.objects.filter(visitor_id=ANN).exists()
    # the same as building the rollups from the remaining events
    after_erasure = sorted(DailyRollup.objects.values_list("day", "arm", "metric", "visitors"))
    rebuild_rollups()
    assert sorted(DailyRollup.objects.values_list("day", "arm", "metric", "visitors")) == (
        after_erasure
    )


@pytest.mark.django_db
def test_reports_count_only_consenting_visitors_and_say_so(admin_client: Client) -> None:
    log = EventLog()
    for visitor, consent in ((ANN, "granted"), (BOB, "unknown"), ("c" * 32, "denied")):
        log.exposure(visitor, at(1), arm="personalized", consent=consent)
        log.event("cta_click", visitor, at(1, 11))
    log.save()
    with override_settings(PERSX={**settings.PERSX, "CONSENT_MODE": "opt_in"}):
        rebuild_rollups()
        assert cta_totals() == (1, 1)  # Ann only
        page = admin_client.get("/cms/measurement/experiments/")
        assert b"Consenting visitors only (opt-in)" in page.content
    with override_settings(PERSX={**settings.PERSX, "CONSENT_MODE": "opt_out"}):
        rebuild_rollups()
        assert cta_totals() == (2, 2)  # Ann and Bob, never the one who declined
        page = admin_client.get("/cms/measurement/experiments/")
        assert b"Consenting visitors only (opt-out)" in page.content


def admin_with(permission: bool) -> Client:
    user = get_user_model().objects.create_user(
        "dpo" if permission else "editor", "dpo@example.com", "pw", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if permission:
        user.user_permissions.add(Permission.objects.get(codename="handle_data_requests"))
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_admin_exports_and_erases_by_email_address() -> None:
    ann_with_data()
    Lead.objects.create(name="Ann again", email="ANN@example.com")  # sent without a cookie
    Lead.objects.create(name="Someone else", email="other@example.com")
    admin = admin_with(permission=True)
    assert admin.get("/cms/data-requests/").status_code == 200

    export = admin.post("/cms/data-requests/", {"email": "ann@example.com", "action": "export"})
    assert export.status_code == 200
    data: dict[str, Any] = json.loads(export.content)
    assert sorted(lead["name"] for lead in data["leads"]) == ["Ann Example", "Ann again"]
    assert {e["type"] for e in data["events"]} >= {"page_view", "form_submission"}

    unconfirmed = admin.post("/cms/data-requests/", {"email": "ann@example.com", "action": "erase"})
    assert unconfirmed.status_code == 400
    assert b"Tick this box" in unconfirmed.content
    assert Lead.objects.count() == 3

    erased = admin.post(
        "/cms/data-requests/", {"email": "ann@example.com", "action": "erase", "confirm": "on"}
    )
    assert erased.status_code == 302
    assert list(Lead.objects.values_list("name", flat=True)) == ["Someone else"]
    assert not Event.objects.exclude(visitor_id="").exists()
    log = DataRequest.objects.get(kind="erase")
    assert (log.channel, log.requested_by, log.counts["leads"]) == ("admin", "dpo", 2)
    assert "ann@example.com" not in json.dumps(log.counts) + log.subject_key
    listing = admin.get("/cms/data-requests/").content.decode()
    assert "ann@example.com" not in listing
    assert log.subject_key in listing

    bad = admin.post("/cms/data-requests/", {"email": "not-an-address", "action": "export"})
    assert bad.status_code == 400
    assert b"email" in bad.content.lower()


@pytest.mark.django_db
def test_data_requests_need_their_permission() -> None:
    editor = admin_with(permission=False)
    assert editor.get("/cms/data-requests/").status_code in (302, 403)
    response = editor.post("/cms/data-requests/", {"email": "a@example.com", "action": "export"})
    assert response.status_code in (302, 403)
    assert not DataRequest.objects.exists()


def erased_with_old_cookie() -> tuple[Client, str]:
    """Ann with data, erased through "Forget me"; then a client holding a copy of her old
    cookies (taken before the erasure) and her old visitor id."""
    client = ann_with_data()
    visitor_id = client.get("/api/personalization").json()["visitor_id"]
    copy = Client()
    for name, morsel in client.cookies.items():
        copy.cookies[name] = morsel.value
    assert client.post("/start/forget/", {"next": "/"}).status_code == 302
    assert ErasedVisitor.objects.filter(key=tombstone_key(visitor_id)).exists()
    return copy, visitor_id


@pytest.mark.django_db
def test_a_copy_of_an_erased_cookie_cannot_file_a_lead_under_the_erased_id() -> None:
    copy, erased_id = erased_with_old_cookie()
    assert copy.get("/api/personalization").json()["visitor_id"] == erased_id  # the copy works
    response = copy.post(
        "/contact/submit/",
        {"name": "Ann Again", "email": "ann@example.com", "next": "/contact/"},
    )
    assert response.status_code == 302
    lead = Lead.objects.get()  # the request to be contacted is kept...
    assert lead.name == "Ann Again"
    # ...but not under the erased visitor, nor with the erased cookie's profile
    assert (lead.visitor_id, lead.industry, lead.persona) == ("", "", "")
    assert not Event.objects.filter(visitor_id=erased_id).exists()
    assert not Event.objects.filter(type="form_submission").exists()


@pytest.mark.django_db
def test_a_copy_of_an_erased_cookie_writes_no_profile_record_under_the_erased_id() -> None:
    from persx.profiles.models import VisitorProfileRecord

    copy, erased_id = erased_with_old_cookie()
    response = copy.post(
        "/start/", {"industry": "travel", "goals": ["increase-direct-bookings"], "next": "/"}
    )
    assert response.status_code == 302
    copy.get("/api/personalization")
    token = copy.cookies[settings.CSRF_COOKIE_NAME].value
    put = copy.put(
        "/api/personalization",
        {"industry": "saas"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert put.status_code == 200
    assert not VisitorProfileRecord.objects.filter(visitor_id=erased_id).exists()
    records = list(VisitorProfileRecord.objects.values_list("visitor_id", "industry"))
    assert len(records) == 1  # a new visitor, with the new choice
    new_id, industry = records[0]
    assert new_id != erased_id
    assert industry == "saas"
    assert put.json()["visitor_id"] == new_id


@pytest.mark.django_db
def test_signing_in_with_a_copy_of_an_erased_cookie_stores_no_record() -> None:
    from persx.profiles.models import VisitorProfileRecord

    copy, erased_id = erased_with_old_cookie()
    get_user_model().objects.create_user("ann", "ann@example.com", "pw-ann-12345")
    response = copy.post("/accounts/login/", {"username": "ann", "password": "pw-ann-12345"})
    assert response.status_code == 302
    assert not VisitorProfileRecord.objects.filter(visitor_id=erased_id).exists()
