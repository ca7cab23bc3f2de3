"""Sending a template in batches (persx/email_delivery/sending.py) against a REAL local SMTP
server: aiosmtpd on 127.0.0.1, Django's SMTP backend pointed at it. The assertions read the
raw messages the server received (parsed with the email package): one per sendable
contact and none to anyone else, the RFC 8058 one-click unsubscribe headers, a Message-ID,
an HTML and a plain-text part with tracked links; a resumed send sends nothing twice; a
recipient the server refuses with 550 ends bounced."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage as ParsedEmail
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import CommandError, call_command, load_command_class
from django.test import Client

from persx.catalog.repository import current_catalog
from persx.email_delivery import sending
from persx.email_delivery.links import read_token
from persx.email_delivery.models import EmailMessage, EmailSend
from persx.events.models import Event
from persx.newsletter.models import Contact
from persx.newsletter.tokens import unsubscribe_path
from persx.profiles import cookie
from tests.web.task_worker import run_queued_tasks

TEMPLATE = "welcome"  # the demo's email template (persx/demo/demo_email.py)


@dataclass
class SinkHandler:
    """aiosmtpd handler: keeps every message; answers 550 to the addresses in ``refuse``."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def messages(self) -> list[ParsedEmail]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _, raw in self.received
        ]

    def recipients(self) -> list[str]:
        return [address for addresses, _ in self.received for address in addresses]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpSink:
    handler: SinkHandler
    port: int


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on a free local port; Django's SMTP backend sends to it."""
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield SmtpSink(handler, port)
    finally:
        controller.stop()


def contact(address: str, status: str = "subscribed", industry: str = "", **fields: Any) -> Contact:
    return Contact.objects.create(
        email=address, status=status, industry=industry, consent="granted", **fields
    )


@pytest.fixture
def audience(db: None) -> dict[str, Contact]:
    """Three subscribed contacts (two with an industry) and one of each unmailable kind."""
    Contact.objects.all().delete()  # the demo's own contacts, if any (rolled back after)
    return {
        "health": contact("hana@clinic.example", industry="healthcare"),
        "saas": contact("sam@cloud.example", industry="saas", persona=""),
        "plain": contact("pat@plain.example"),
        "pending": contact("pen@wait.example", status="pending", industry="saas"),
        "gone": contact("una@left.example", status="unsubscribed", industry="saas"),
        "dead": contact("bo@bounce.example", status="bounced", industry="saas"),
    }


def by_recipient(sink: SmtpSink) -> dict[str, ParsedEmail]:
    return {str(m["To"]).lower(): m for m in sink.handler.messages()}


def parts(message: ParsedEmail) -> tuple[str, str]:
    html = message.get_body(preferencelist=("html",))
    text = message.get_body(preferencelist=("plain",))
    assert html is not None
    assert text is not None
    return str(html.get_content()), str(text.get_content())


SENDABLE = {"hana@clinic.example", "sam@cloud.example", "pat@plain.example"}


@pytest.mark.django_db
def test_one_message_per_sendable_contact_with_the_unsubscribe_headers_and_both_parts(
    smtp_sink: SmtpSink, audience: dict[str, Contact], settings: Any
) -> None:
    settings.PERSX = {**settings.PERSX, "EMAIL_UNSUBSCRIBE_MAILTO": "unsubscribe@persx.example"}
    call_command("persx_email_send", TEMPLATE, "--batch-size", "2")

    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE)
    received = by_recipient(smtp_sink)
    send = EmailSend.objects.get()
    assert (send.status, send.total, send.sent, send.skipped, send.failed) == (
        "finished",
        6,
        3,
        3,
        0,
    )
    assert sending.skip_counts(send) == {"bounced": 1, "pending": 1, "unsubscribed": 1}
    for address, message in received.items():
        row = EmailMessage.objects.get(send=send, contact__email=address)
        assert row.status == "sent"
        assert row.sent_at is not None
        # RFC 8058: an https(or http on the dev site) one-click URL in <>, then the mailto.
        header = str(message["List-Unsubscribe"])
        one_click, mailto = [p.strip() for p in header.split(",")]
        assert one_click.startswith("<http")
        assert one_click.endswith(unsubscribe_path(row.contact) + ">")
        assert mailto == "<mailto:unsubscribe@persx.example?subject=unsubscribe>"
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert str(message["Message-ID"]) == row.message_id
        assert "@" in row.message_id
        assert str(message["Subject"]) == row.subject != ""
        html, text = parts(message)
        # Every link to the site is a tracked one; it names this message.
        site_links = re.findall(r'href="(http://127\.0\.0\.1:8000/[^"]*)"', html)
        tracked = [u for u in site_links if "/e/" in u]
        assert tracked, "no tracked link in the HTML part"
        untracked = [u for u in site_links if "/e/" not in u and "/newsletter/" not in u]
        assert untracked == [], untracked
        for url in tracked:
            token = url.split("/e/", 1)[1].rstrip("/")
            assert read_token(token).message_id == row.pk
        assert "/e/" in text  # the plain-text part carries the same tracked links


@pytest.mark.django_db
def test_the_variant_each_recipient_was_shown_is_kept_per_message(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    call_command("persx_email_send", TEMPLATE)
    rows = {m.contact.email: m for m in EmailMessage.objects.select_related("contact")}
    health = rows["hana@clinic.example"]
    assert health.personalized is True
    assert any(c["variant"] == "industry:healthcare" for c in health.choices), health.choices
    plain = rows["pat@plain.example"]
    assert plain.personalized is False
    assert plain.choices
    assert all(c["variant"] == "generic" for c in plain.choices)
    assert {c["block_type"] for c in plain.choices} == {c["block_type"] for c in health.choices}
    html, _ = parts(by_recipient(smtp_sink)["hana@clinic.example"])
    _, plain_text = parts(by_recipient(smtp_sink)["pat@plain.example"])
    assert html != plain_text


@pytest.mark.django_db
def test_a_resumed_send_sends_nothing_twice_even_after_a_crash_mid_batch(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    for n in range(5):
        contact(f"extra{n}@many.example", industry="travel")
    send = sending.create_send(TEMPLATE, batch_size=2)
    sending.run_send(send.pk, max_batches=1)  # 2 sent, then the process "stops"
    assert len(smtp_sink.handler.received) == 2
    # A worker claims the next batch and dies before sending any of it.
    claimed = sending._claim(send, 2)
    assert [m.status for m in EmailMessage.objects.filter(pk__in=[c.pk for c in claimed])] == [
        "sending",
        "sending",
    ]
    call_command("persx_email_send", TEMPLATE, "--resume", str(send.pk))

    recipients = smtp_sink.handler.recipients()
    assert len(recipients) == len(set(recipients)), "an address got the email twice"
    send.refresh_from_db()
    # 8 sendable: 2 + 4 sent; the 2 a dead batch held are failed, never retried blindly.
    assert (send.status, send.sent, send.failed, send.skipped) == ("finished", 6, 2, 3)
    interrupted = EmailMessage.objects.filter(pk__in=[c.pk for c in claimed])
    assert all(m.status == "failed" and "interrupted" in m.reason for m in interrupted)
    assert not {m.contact.email for m in interrupted} & set(recipients)
    # Resuming a finished send sends nothing more.
    call_command("persx_email_send", TEMPLATE, "--resume", str(send.pk))
    assert len(smtp_sink.handler.recipients()) == 6


@pytest.mark.django_db
def test_a_refused_recipient_ends_bounced_and_the_rest_are_sent(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    smtp_sink.handler.refuse = {"sam@cloud.example"}
    call_command("persx_email_send", TEMPLATE, "--batch-size", "10")
    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE - {"sam@cloud.example"})
    refused = EmailMessage.objects.get(contact__email="sam@cloud.example")
    assert refused.status == "failed"
    assert "550" in refused.reason
    sam = Contact.objects.get(email="sam@cloud.example")
    assert sam.status == "bounced"
    assert sam.bounced_at is not None
    # The next send skips the bounced address.
    call_command("persx_email_send", TEMPLATE)
    second = EmailSend.objects.order_by("-pk").first()
    assert second is not None
    assert sending.skip_counts(second)["bounced"] == 2


@pytest.mark.django_db
def test_a_contact_who_unsubscribes_after_the_plan_is_not_mailed(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    send = sending.create_send(TEMPLATE, batch_size=10)
    Contact.objects.filter(email="pat@plain.example").update(status="unsubscribed")
    sending.run_send(send.pk)
    assert "pat@plain.example" not in smtp_sink.handler.recipients()
    assert EmailMessage.objects.get(contact__email="pat@plain.example").reason == "unsubscribed"


@pytest.mark.django_db
def test_opt_in_mode_skips_contacts_without_consent(
    smtp_sink: SmtpSink, audience: dict[str, Contact], settings: Any
) -> None:
    settings.PERSX = {**settings.PERSX, "CONSENT_MODE": "opt_in"}
    Contact.objects.filter(email="pat@plain.example").update(consent="unknown")
    call_command("persx_email_send", TEMPLATE)
    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE - {"pat@plain.example"})
    assert sending.skip_counts(EmailSend.objects.get())["no_consent"] == 1


@pytest.mark.django_db
def test_a_server_that_does_not_answer_stops_the_send_without_losing_anyone(
    smtp_sink: SmtpSink, audience: dict[str, Contact], settings: Any
) -> None:
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(CommandError, match="--resume"):
        call_command("persx_email_send", TEMPLATE)
    send = EmailSend.objects.get()
    assert send.status == "stopped"
    assert "connection" in send.message
    assert send.sent == send.failed == 0
    assert EmailMessage.objects.filter(send=send, status="queued").count() == 3
    settings.EMAIL_PORT = smtp_sink.port
    call_command("persx_email_send", TEMPLATE, "--resume", str(send.pk))
    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE)


@pytest.mark.django_db
def test_dry_run_sends_and_writes_nothing(
    smtp_sink: SmtpSink, audience: dict[str, Contact], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("persx_email_send", TEMPLATE, "--dry-run")
    out = capsys.readouterr().out
    assert "3 of 6 contacts would get it" in out
    assert "1 bounced" in out
    assert smtp_sink.handler.received == []
    assert not EmailSend.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "field_named"),
    [
        (["no-such-template"], "template: no email template 'no-such-template'"),
        ([TEMPLATE, "--batch-size", "0"], "batch-size: expected 1-1000, got 0"),
        ([TEMPLATE, "--batch-size", "1001"], "batch-size: expected 1-1000, got 1001"),
        ([TEMPLATE, "--batch-size", "ten"], "batch-size: expected a whole number"),
        ([TEMPLATE, "--resume", "x"], "resume: expected a send id"),
        ([TEMPLATE, "--resume", "999999"], "resume: no send 999999"),
    ],
)
def test_bad_input_is_a_clear_error_and_nothing_is_sent(
    smtp_sink: SmtpSink, audience: dict[str, Contact], args: list[str], field_named: str
) -> None:
    with pytest.raises(CommandError) as failure:
        call_command("persx_email_send", *args)
    assert field_named in str(failure.value)
    assert smtp_sink.handler.received == []
    assert not EmailSend.objects.exists()


@pytest.mark.django_db
def test_the_largest_batch_size_is_accepted(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    call_command("persx_email_send", TEMPLATE, "--batch-size", "1000")
    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE)


@pytest.mark.django_db
def test_an_unknown_template_exits_with_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    command = load_command_class("persx.email_delivery", "persx_email_send")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "persx_email_send", "no-such-template"])
    assert exited.value.code == 1
    assert "template: no email template 'no-such-template'" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_admin_starts_a_send_on_the_job_queue_and_shows_its_progress(
    smtp_sink: SmtpSink,
    audience: dict[str, Contact],
    admin_client: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = admin_client.get("/cms/measurement/email/")
    assert page.status_code == 200
    assert b'data-testid="email-start"' in page.content
    refused = admin_client.post(
        "/cms/measurement/email/", {"template": TEMPLATE, "batch_size": "0"}
    )
    assert refused.status_code == 400
    assert b"batch-size: expected 1-1000" in refused.content
    response = admin_client.post(
        "/cms/measurement/email/", {"template": TEMPLATE, "batch_size": "2"}
    )
    send = EmailSend.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/email/{send.pk}/")
    assert smtp_sink.handler.received == []  # queued, not sent in the request
    status = admin_client.get(f"/cms/measurement/email/{send.pk}/status.json").json()
    assert (status["done"], status["total"], status["finished"]) == (3, 6, False)
    run_queued_tasks(monkeypatch, "default")  # the periodic jobs' worker leaves it waiting
    waiting = admin_client.get(f"/cms/measurement/email/{send.pk}/status.json").json()
    assert (waiting["done"], waiting["finished"]) == (3, False)
    run_queued_tasks(monkeypatch, "email")
    status = admin_client.get(f"/cms/measurement/email/{send.pk}/status.json").json()
    assert status["finished"]
    assert (status["sent"], status["skipped"], status["failed"]) == (3, 3, 0)
    assert status["skipped_by_reason"] == {"bounced": 1, "pending": 1, "unsubscribed": 1}
    assert status["percent"] == 100
    detail = admin_client.get(f"/cms/measurement/email/{send.pk}/")
    assert detail.status_code == 200
    assert b'data-testid="send-skips"' in detail.content
    assert sorted(smtp_sink.handler.recipients()) == sorted(SENDABLE)


@pytest.mark.django_db
def test_a_contact_without_a_visitor_is_sent_as_the_visitor_a_click_restores(
    smtp_sink: SmtpSink, audience: dict[str, Contact]
) -> None:
    assert audience["health"].visitor_id == ""
    call_command("persx_email_send", TEMPLATE)
    health = Contact.objects.get(email="hana@clinic.example")
    assert len(health.visitor_id) == 32  # minted for the send, kept on the contact
    html, _ = parts(by_recipient(smtp_sink)["hana@clinic.example"])
    url = re.findall(r'href="http://127\.0\.0\.1:8000(/e/[^"]+)"', html)[0]
    browser = Client()
    assert browser.get(url).status_code == 302
    restored = cookie.decode(browser.cookies["persx_profile"].value, current_catalog()).profile
    assert restored is not None
    assert restored.visitor_id == health.visitor_id  # the same unit: the same arm
    events = list(Event.objects.filter(type="email_click"))
    assert [e.visitor_id for e in events] == [health.visitor_id]
