"""Email attribution and the email channel's PLI (persx/email_delivery/attribution.py,
report.py): a conversion by the visitor a click restored, within the attribution window
after the click, counts for the clicked message; the PLI compares recipients shown a
personalized block with recipients shown only generic ones, with the engine's Fieller
interval; a planted simulation (known truth) is recovered; the Measurement -> Email screen
and its JSON show it."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from persx.campaigns.models import EmailTemplate
from persx.email_delivery.attribution import recipient_outcomes
from persx.email_delivery.links import tracked_url
from persx.email_delivery.models import EmailMessage, EmailSend
from persx.email_delivery.report import email_report
from persx.events.event_row import EventRow, VisitorColumns
from persx.events.models import Event
from persx.events.services import store_rows
from persx.eventstore.selection import columnar_store
from persx.newsletter.models import Contact
from tests.web.clickhouse_support import drop_schema

SITE = "http://127.0.0.1:8000"


def new_send() -> EmailSend:
    return EmailSend.objects.create(template=EmailTemplate.objects.get(slug="welcome"))


def delivered(send: EmailSend, personalized: bool, **contact: Any) -> EmailMessage:
    fields = {"status": "subscribed", "consent": "granted", "industry": "saas", **contact}
    person = Contact.objects.create(email=f"{secrets.token_hex(5)}@r.example", **fields)
    return EmailMessage.objects.create(
        send=send, contact=person, status="sent", personalized=personalized
    )


def click(message: EmailMessage) -> str:
    """A real click on the message's link; the visitor id it restored."""
    browser = Client()
    url = tracked_url(message.pk, "/contact/", "hero")
    assert browser.get(url[len(SITE) :]).status_code == 302
    message.contact.refresh_from_db()
    return str(message.contact.visitor_id)


def event(
    kind: str, visitor_id: str, at: Any, properties: dict[str, Any] | None = None
) -> EventRow:
    return EventRow(
        event_id=uuid.uuid4(),
        type=kind,
        occurred_at=at,
        received_at=at,
        page="/contact/",
        visitor=VisitorColumns(visitor_id=visitor_id, consent="granted"),
        properties=properties or {},
    )


@pytest.fixture(params=["relational", "clickhouse"])
def event_store(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Clicks and conversions in the relational log, or in ClickHouse (chDB in-process)
    when it is the configured event store."""
    if request.param == "relational":
        yield request.param
        return
    settings.PERSX = {**settings.PERSX, "EVENT_STORE": "clickhouse", "CLICKHOUSE_URL": "chdb://"}
    store = columnar_store()
    assert store is not None
    drop_schema(store)
    store.create_schema(retention_months=None)
    yield request.param
    drop_schema(store)


@pytest.mark.django_db
def test_a_conversion_counts_only_after_the_click_within_the_window(
    settings: Any, event_store: str
) -> None:
    settings.PERSX = {**settings.PERSX, "EMAIL_ATTRIBUTION_DAYS": 7}
    send = new_send()
    soon, late, before, other, unclicked = (delivered(send, True) for _ in range(5))
    now = timezone.now()
    ids = {m.pk: click(m) for m in (soon, late, before, other)}
    stranger = secrets.token_hex(16)
    store_rows(
        [
            event("form_submission", ids[soon.pk], now + timedelta(days=6, hours=23)),
            event("email_signup", ids[late.pk], now + timedelta(days=7, hours=1)),
            event("form_submission", ids[before.pk], now - timedelta(hours=1)),
            event("form_submission", stranger, now + timedelta(hours=1)),
            event("page_view", ids[other.pk], now + timedelta(hours=1)),  # not a conversion
        ]
    )
    outcomes = {o.message_id: o for o in recipient_outcomes([send.pk])}
    assert {pk for pk, o in outcomes.items() if o.clicked} == set(ids)
    assert {pk for pk, o in outcomes.items() if o.converted} == {soon.pk}
    assert not outcomes[unclicked.pk].clicked
    # a longer window takes the later one too
    settings.PERSX = {**settings.PERSX, "EMAIL_ATTRIBUTION_DAYS": 8}
    outcomes = {o.message_id: o for o in recipient_outcomes([send.pk])}
    assert {pk for pk, o in outcomes.items() if o.converted} == {soon.pk, late.pk}
    # The clicks and conversions were read from the store they were written to.
    assert Event.objects.exists() is (event_store == "relational")


@pytest.mark.django_db
def test_messages_not_delivered_are_not_recipients() -> None:
    send = new_send()
    sent = delivered(send, True)
    for status in ("failed", "skipped", "queued"):
        row = delivered(send, True)
        EmailMessage.objects.filter(pk=row.pk).update(status=status)
    assert [o.message_id for o in recipient_outcomes([send.pk])] == [sent.pk]


def planted_history(
    send: EmailSend, n: int, rates: dict[bool, float], seed: int
) -> dict[bool, tuple[int, int]]:
    """n recipients per group; each converts (after clicking) with the group's rate, and
    a quarter of the others click without converting. True counts (converted, clicked)."""
    rng = random.Random(seed)
    template_contacts = [
        Contact(
            email=f"sim{i}@planted.example",
            status="subscribed",
            consent="granted",
            industry="saas",
            visitor_id=f"{rng.getrandbits(128):032x}",
        )
        for i in range(2 * n)
    ]
    contacts = Contact.objects.bulk_create(template_contacts)
    messages = EmailMessage.objects.bulk_create(
        EmailMessage(send=send, contact=c, status="sent", personalized=i < n)
        for i, c in enumerate(contacts)
    )
    now = timezone.now()
    rows: list[EventRow] = []
    truth = {True: [0, 0], False: [0, 0]}
    for message, person in zip(messages, contacts, strict=True):
        group = message.personalized
        converts = rng.random() < rates[group]
        clicks = converts or rng.random() < 0.25
        if clicks:
            truth[group][1] += 1
            at = now + timedelta(minutes=rng.randrange(0, 60 * 24 * 3))
            rows.append(
                event(
                    "email_click",
                    person.visitor_id,
                    at,
                    {"message": message.pk, "send": send.pk, "block": "hero"},
                )
            )
            if converts:
                truth[group][0] += 1
                rows.append(
                    event(
                        "form_submission",
                        person.visitor_id,
                        at + timedelta(hours=rng.randrange(1, 24 * 6)),
                    )
                )
    for start in range(0, len(rows), 500):
        store_rows(rows[start : start + 500])
    return {g: (c[0], c[1]) for g, c in truth.items()}


@pytest.mark.django_db
def test_a_planted_lift_is_recovered_by_the_email_pli() -> None:
    send = new_send()
    n = 1500
    truth = planted_history(send, n, {True: 0.12, False: 0.08}, seed=20261207)
    report = email_report([send.pk])
    (row,) = report.rows
    overall = report.overall
    for shown in (row, overall):
        assert (shown.personalized.delivered, shown.generic.delivered) == (n, n)
        assert (shown.personalized.converted, shown.personalized.clicked) == truth[True]
        assert (shown.generic.converted, shown.generic.clicked) == truth[False]
        assert shown.pli is not None
        assert shown.pli.interval_exists
        assert shown.pli.method == "fieller"
        # The planted truth: 0.12 / 0.08 - 1 = +50%.
        assert shown.pli.lower <= 0.5 <= shown.pli.upper, shown.pli
        assert shown.pli.lower > 0  # 1,500 per group are enough to see it
        assert shown.click_pli is not None


@pytest.mark.django_db
def test_no_lift_planted_gives_an_interval_around_zero() -> None:
    send = new_send()
    planted_history(send, 1500, {True: 0.1, False: 0.1}, seed=7)
    pli = email_report([send.pk]).overall.pli
    assert pli is not None
    assert pli.lower <= 0 <= pli.upper


@pytest.mark.django_db
def test_a_group_without_recipients_has_no_pli_yet() -> None:
    send = new_send()
    delivered(send, True)
    row = email_report([send.pk]).overall
    assert row.pli is None
    assert row.generic.delivered == 0


@pytest.mark.django_db
def test_the_screen_and_its_json_show_the_numbers(admin_client: Client) -> None:
    send = new_send()
    planted_history(send, 200, {True: 0.3, False: 0.15}, seed=3)
    data = admin_client.get("/cms/measurement/email/report.json").json()
    shown = next(s for s in data["sends"] if s["send"] == send.pk)
    assert shown["personalized"]["delivered"] == shown["generic"]["delivered"] == 200
    assert shown["pli"]["method"] == "fieller"
    assert shown["pli"]["lower"] <= shown["pli"]["lift"] <= shown["pli"]["upper"]
    assert data["attribution_window_days"] == 7
    page = admin_client.get("/cms/measurement/email/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="email-pli-chart"' in html
    assert f'data-send="{send.pk}"' in html
    assert "<svg" in html


@pytest.mark.django_db
def test_the_report_needs_the_measurement_permission() -> None:
    editor = get_user_model().objects.create_user("ed", "ed@example.com", "pw", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))  # Wagtail admin, not measurement
    client = Client()
    client.force_login(editor)
    assert client.get("/cms/").status_code == 200
    assert b"persx-email" not in client.get("/cms/").content
    for url in ("/cms/measurement/email/report.json", "/cms/measurement/email/"):
        response = client.get(url)
        # Wagtail's admin turns the refusal into a redirect to the dashboard for pages.
        assert response.status_code in (302, 403), url
        assert b"attribution_window_days" not in response.content
        assert b"email-pli" not in response.content
