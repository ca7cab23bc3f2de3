"""Server-side exposures: recorded by the request that rendered the variant, without SQL in
the request, for visitors with JavaScript off too; form submissions recorded server-side."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from persx.config import config
from persx.engine.deciding.decision import VARIANT_MISSING, Decision, Reason, ServedBlock
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events import exposure_writer
from persx.events.durable_write import DatabaseBusy
from persx.events.event_row import EventRow, VisitorColumns
from persx.events.exposure_writer import ExposureWriter, PageRender
from persx.events.models import Event
from persx.events.services import store_rows
from persx.leads.models import Lead
from persx.privacy import consent_cookie
from persx.profiles import cookie
from tests.web.conftest import client_with_profile, variants

VISITOR = "0123456789abcdef0123456789abcdef"
PERSONA = "healthcare-patient-acquisition"


@pytest.fixture(autouse=True)
def empty_queue() -> Iterator[None]:
    """Pages rendered by earlier tests may have queued exposures: start from nothing."""
    exposure_writer.writer().discard_pending()
    yield
    exposure_writer.writer().discard_pending()


@pytest.mark.django_db
def test_a_javascript_off_page_view_records_one_exposure_per_block_without_sql() -> None:
    client = client_with_profile("healthcare", PERSONA)  # a plain GET: no script runs
    with CaptureQueriesContext(connection) as request_sql:
        response = client.get("/contact/")
    assert response.status_code == 200
    assert not [q for q in request_sql.captured_queries if "persx_events_event" in q["sql"]]
    assert Event.objects.count() == 0  # queued, not written by the request

    assert exposure_writer.flush() == 4
    served = response.wsgi_request.persx.served  # type: ignore[attr-defined]
    assert len(served) == 3
    rows = Event.objects.filter(visitor_id=VISITOR, page="/contact/")
    assert rows.filter(type="page_view").count() == 1
    exposures = rows.filter(type="exposure")
    columns = ("block", "variant", "reason", "experiment", "arm", "would_be")
    decided = [
        (s.block_type, s.variant_key, str(s.reason), s.experiment, s.arm, s.would_be)
        for s in served
    ]
    assert sorted(exposures.values_list(*columns)) == sorted(
        tuple(value or "" for value in decision) for decision in decided
    )
    # What the rows say is what the visitor saw.
    contact = exposures.get(block="contact_form")
    assert ("contact-form", contact.variant) in variants(response.content)
    assert (contact.variant, contact.reason) == (f"persona:{PERSONA}", "persona_match")
    assert set(rows.values_list("industry", "persona", "consent")) == {
        ("healthcare", PERSONA, "unknown")
    }
    assert len(set(rows.values_list("event_id", flat=True))) == 4


@pytest.mark.django_db
def test_pages_that_only_rank_content_count_as_page_views() -> None:
    client = client_with_profile("saas")
    assert client.get("/test-ideas/").status_code == 200
    exposure_writer.flush()
    rows = Event.objects.filter(visitor_id=VISITOR, page="/test-ideas/")
    assert list(rows.values_list("type", flat=True)) == ["page_view"]


@pytest.mark.django_db
def test_no_exposures_without_a_profile_for_declined_consent_or_in_staff_preview() -> None:
    assert Client().get("/contact/").status_code == 200
    declined = Client()
    profile = VisitorProfile(VISITOR, industry="saas")
    declined.cookies[config().profile_cookie_name] = cookie.encode(profile, timezone.now())
    declined.cookies[consent_cookie.COOKIE_NAME] = consent_cookie.encode(
        ConsentState.DENIED, timezone.now()
    )
    assert declined.get("/contact/").status_code == 200
    staff = Client()
    user = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    staff.force_login(user)
    preview = staff.get("/contact/?persx_preview=industry:travel")
    assert ("contact-reasons", "industry:travel") in variants(preview.content)
    assert client_with_profile("saas").get("/no-such-page/").status_code == 404
    assert exposure_writer.flush() == 0
    assert Event.objects.count() == 0


def test_a_full_queue_drops_and_counts_instead_of_blocking() -> None:
    writer = ExposureWriter(store=store_rows, background=False, capacity=5)
    render = PageRender(
        VisitorColumns(visitor_id=VISITOR),
        "/",
        timezone.now(),
        [ServedBlock("hero", VARIANT_MISSING), ServedBlock("cta", VARIANT_MISSING)],
    )
    assert writer.submit(render)  # 3 events
    assert not writer.submit(render)  # 6 > 5: dropped
    stats = writer.stats()
    assert (stats.pending, stats.dropped) == (3, 3)
    assert writer.discard_pending() == 3


def test_the_test_settings_switch_the_writer_thread_off() -> None:
    assert settings.PERSX["EVENTS_WRITER_THREAD"] is False
    assert exposure_writer.writer().background is False


@pytest.mark.django_db
def test_a_busy_database_keeps_the_renders_queued_for_the_next_flush() -> None:
    attempts: list[int] = []

    def busy_once(rows: Sequence[EventRow]) -> int:
        attempts.append(len(rows))
        if len(attempts) == 1:
            raise DatabaseBusy(5, OperationalError("database is locked"))
        return store_rows(rows)

    writer = ExposureWriter(store=busy_once, background=False)
    served = [ServedBlock("hero", Decision("industry:saas", Reason.INDUSTRY_MATCH))]
    assert writer.submit(
        PageRender(VisitorColumns(visitor_id=VISITOR), "/", timezone.now(), served)
    )
    assert writer.flush() == 0  # busy: nothing written, nothing lost
    assert writer.stats().pending == 2
    assert writer.flush() == 2
    assert attempts == [2, 2]
    assert Event.objects.filter(visitor_id=VISITOR).count() == 2
    assert (writer.stats().pending, writer.stats().written) == (0, 2)


@pytest.mark.django_db
def test_contact_form_stores_the_lead_and_its_form_submission_event() -> None:
    client = client_with_profile("healthcare", PERSONA)
    response = client.post(
        "/contact/submit/",
        {
            "name": "Ada",
            "email": "ada@example.com",
            "variant": f"persona:{PERSONA}",
            "next": "/contact/",
        },
    )
    assert response.status_code == 302
    lead = Lead.objects.get(email="ada@example.com")
    event = Event.objects.get(type="form_submission")
    assert (event.visitor_id, event.industry, event.persona) == (VISITOR, "healthcare", PERSONA)
    assert event.page == "/contact/"
    assert event.properties == {"form": "contact", "lead": lead.pk, "variant": lead.variant}


@pytest.mark.django_db
def test_start_form_records_start_form_submitted_for_the_new_profile() -> None:
    client = Client()
    response = client.post(
        "/start/",
        {"industry": "healthcare", "goals": ["improve-patient-acquisition"], "next": "/contact/"},
    )
    assert response.status_code == 302
    event = Event.objects.get(type="start_form_submitted")
    state = client.get("/api/personalization").json()
    assert event.visitor_id == state["visitor_id"]
    assert event.industry == "healthcare"
    assert event.page == "/start/"
    assert event.properties["next"] == "/contact/"
    invalid = Client().post("/start/", {"industry": "mining"})
    assert invalid.status_code == 400
    assert Event.objects.filter(type="start_form_submitted").count() == 1


@pytest.mark.django_db
def test_pages_carry_the_tracker_and_tracking_attributes() -> None:
    client = client_with_profile("saas")
    home = client.get("/").content.decode()
    assert "/static/persx/tracker.js" in home
    assert re.search(r'<a class="button"[^>]*data-track="cta_click"', home)
    ideas = client.get("/test-ideas/").content.decode()
    assert 'data-track="test_idea_click"' in ideas
    blog = client.get("/blog/").content.decode()
    post = re.findall(r'href="(/blog/[^"]+/)"', blog)[0]
    assert 'data-track-read="blog_read"' in client.get(post).content.decode()
    tracker = client.get("/static/persx/tracker.js")
    assert tracker.status_code == 200
    body = b"".join(tracker.streaming_content).decode()  # type: ignore[attr-defined]
    assert "navigator.sendBeacon" in body
