"""The newsletter signup block in a real browser (issue 19): a Healthcare visitor sees its
variant on Home, signs up through the plain form (with JavaScript and without), gets the
confirmation email through a real SMTP server, follows the link and is subscribed; the
admin's Contacts screen shows them (screenshots under test-artifacts/screenshots)."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.browser.support import ACTION_TIMEOUT_MS, DEMO_ADMIN, MakeContext, screenshot, site
from tests.web.live_site import LiveSite, gunicorn_site

pytestmark = [pytest.mark.browser, pytest.mark.own_server]

CONFIRM_PATH = re.compile(r"https?://[^/\s]+(/newsletter/confirm/[^/\s]+/)")


@dataclass
class Inbox:
    """aiosmtpd handler: every message the site sends."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(bytes(envelope.original_content))
        return "250 Message accepted for delivery"

    def texts_to(self, address: str) -> list[str]:
        found = []
        for raw in self.received:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if address in str(message["To"]):
                body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
                found.append(body.get_content())
        return found


@dataclass(frozen=True)
class MailingSite:
    live: LiveSite
    inbox: Inbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def mailing_site() -> Iterator[MailingSite]:
    """The site (gunicorn, seeded demo copy) sending its email to a local SMTP server."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    var_dir = Path(tempfile.mkdtemp(prefix="persx-newsletter-"))
    try:
        with gunicorn_site(
            var_dir,
            workers=1,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
        ) as live:
            yield MailingSite(live, inbox)
    finally:
        controller.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture
def browser_context_args(mailing_site: MailingSite) -> dict[str, Any]:
    """Contexts open this module's own site (not the session's shared one)."""
    return {"base_url": mailing_site.live.url}


def confirmation_path(inbox: Inbox, address: str) -> str:
    """The link of the one confirmation email sent to ``address`` (sent before the signup's
    answer: the SMTP server had it when the browser landed back on the page)."""
    texts = inbox.texts_to(address)
    assert len(texts) == 1, texts
    found = CONFIRM_PATH.search(texts[0])
    assert found, texts[0]
    return found.group(1)


def home_signup(variant: str) -> dict[str, Any]:
    block = next(b for b in site()["home"]["body"] if b["type"] == "newsletter_signup")
    if variant == "generic":
        return dict(block["base"])
    return next(v["content"] for v in block["variants"] if v["audience"] == variant)


def sign_up_on_home(page: Page, address: str) -> None:
    block = page.get_by_test_id("newsletter-signup")
    block.get_by_label("Work email").fill(address)
    block.get_by_test_id("newsletter-submit").click()
    page.wait_for_url(re.compile(r"newsletter=sent"))
    expect(page.get_by_test_id("newsletter-notice")).to_contain_text("we sent you an email")


def test_a_healthcare_visitor_signs_up_on_home_and_confirms_from_the_email(
    mailing_site: MailingSite, make_context: MakeContext
) -> None:
    context = make_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/?industry=healthcare")
    block = page.get_by_test_id("newsletter-signup")
    expect(block).to_have_attribute("data-variant", "industry:healthcare")
    content = home_signup("industry:healthcare")
    expect(block.get_by_test_id("newsletter-heading")).to_have_text(content["heading"])
    expect(block.get_by_test_id("newsletter-submit")).to_have_text(content["button_label"])
    block.scroll_into_view_if_needed()
    screenshot(page, "newsletter-block-healthcare.png", full_page=False)

    sign_up_on_home(page, "hana@clinic-newsletter.example")
    expect(page.get_by_test_id("newsletter-signup")).to_be_in_viewport()  # back at the block
    link = confirmation_path(mailing_site.inbox, "hana@clinic-newsletter.example")

    mail_client = make_context().new_page()  # no cookies
    mail_client.goto(link)
    confirmed = mail_client.get_by_test_id("newsletter-confirm")
    expect(confirmed).to_have_attribute("data-state", "confirmed")
    expect(mail_client.get_by_role("heading", level=1)).to_have_text("You are subscribed")


@pytest.mark.allow_console_errors("status of 400")  # the refused address, on purpose
def test_the_signup_works_with_javascript_off_and_a_bad_address_names_the_field(
    mailing_site: MailingSite, make_context: MakeContext
) -> None:
    context = make_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/")
    block = page.get_by_test_id("newsletter-signup")
    expect(block).to_have_attribute("data-variant", "generic")
    expect(block.get_by_test_id("newsletter-heading")).to_have_text(
        home_signup("generic")["heading"]
    )
    # The browser's own check stops an empty field; a server-side refusal needs a value it
    # lets through but the server does not accept.
    block.get_by_label("Work email").fill("someone@intranet")
    block.get_by_test_id("newsletter-submit").click()
    error = page.get_by_test_id("newsletter-error")
    expect(error).to_contain_text("valid email")
    expect(page.get_by_label("Work email")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Work email").fill("nojs@acme-newsletter.example")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(r"newsletter=sent"))
    expect(page.get_by_test_id("newsletter-notice")).to_be_visible()
    assert len(mailing_site.inbox.texts_to("nojs@acme-newsletter.example")) == 1


def test_the_contacts_screen_lists_them_with_counts(
    mailing_site: MailingSite, make_context: MakeContext
) -> None:
    context = make_context(viewport={"width": 1366, "height": 900})
    visitor = make_context().new_page()
    visitor.goto("/")
    sign_up_on_home(visitor, "listed@initech-newsletter.example")
    page = context.new_page()
    page.goto("/cms/login/")
    page.fill("input[name=username]", DEMO_ADMIN[0])
    page.fill("input[name=password]", DEMO_ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/cms/", timeout=ACTION_TIMEOUT_MS)
    page.get_by_role("link", name="Newsletter").click()
    page.wait_for_url("**/cms/snippets/persx_newsletter/contact/**")
    expect(page.get_by_test_id("contact-counts")).to_be_visible()
    for status in ("pending", "subscribed", "unsubscribed", "bounced"):
        expect(page.get_by_test_id(f"count-{status}")).to_have_text(re.compile(r"^\d+$"))
    assert int(page.get_by_test_id("count-pending").inner_text()) >= 1
    row = page.get_by_role("row").filter(has_text="listed@initech-newsletter.example")
    expect(row).to_contain_text("Pending confirmation")
    screenshot(page, "admin-newsletter-contacts.png", full_page=False)
    # The status filter from the counts: only subscribed contacts.
    page.get_by_test_id("contact-counts").get_by_title("Show only: Subscribed").click()
    expect(
        page.get_by_role("row").filter(has_text="listed@initech-newsletter.example")
    ).to_have_count(0)
