"""An email link clicked in a real browser (issue 19): the site's own send command mails
the demo template through Django's SMTP backend to a local SMTP server (aiosmtpd); the
test opens a tracked link from the received HTML in Chromium. The reader lands with no
form, already as their industry: the first page shows the industry's variant, and so does
every later page. Then the admin's Measurement -> Email screen shows the send and the
email PLI (screenshots in test-artifacts/screenshots)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.browser.support import MakeContext, expect_contact, screenshot, sign_in
from tests.web.live_site import manage
from tests.web.test_email_send import SinkHandler, free_port

pytestmark = pytest.mark.browser

READER = "reader@clinic.example"


@pytest.fixture
def sink() -> Iterator[tuple[SinkHandler, int]]:
    handler = SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def tracked_links(handler: SinkHandler, address: str) -> list[str]:
    for recipients, raw in handler.received:
        if address in recipients:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            html = message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
            return re.findall(r'href="(https?://[^"]*/e/[^"]+)"', str(html.get_content()))
    raise AssertionError(f"no email to {address}; got {[r for r, _ in handler.received]}")


def test_a_link_in_a_sent_email_lands_the_reader_as_their_industry(
    make_context: MakeContext,
    server_env: dict[str, str],
    server_manage: Callable[..., None],
    sink: tuple[SinkHandler, int],
) -> None:
    handler, port = sink
    server_manage(
        "shell",
        "-c",
        "from persx.newsletter.models import Contact; "
        f"Contact.objects.update_or_create(email='{READER}', defaults=dict("
        "status='subscribed', industry='healthcare', consent='granted', visitor_id=''))",
    )
    smtp = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
    }
    manage({**server_env, **smtp}, "persx_email_send", "welcome", "--batch-size", "5")
    links = tracked_links(handler, READER)
    contact_links = [u for u in links if "contact" in u] or links
    assert links, "the email carries no tracked link"

    page: Page = make_context().new_page()
    page.goto("/contact/")
    expect_contact(page, "generic")  # a fresh browser: generic
    page.goto(urlsplit(contact_links[0]).path)  # the link, on the test's server
    expect(page.locator('[data-variant="industry:healthcare"]').first).to_be_visible()
    screenshot(page, "email-click-landing.png")
    page.goto("/contact/")
    expect_contact(page, "industry:healthcare")

    admin = make_context().new_page()
    sign_in(admin, "/cms/measurement/email/")
    expect(admin.get_by_test_id("email-sends")).to_contain_text("Welcome to PersX")
    expect(admin.get_by_test_id("email-pli-chart").locator("svg")).to_be_visible()
    screenshot(admin, "email-measurement.png")
    admin.get_by_test_id("email-sends").get_by_role("link").first.click()
    expect(admin.get_by_test_id("send-state")).to_contain_text("Finished")
    expect(admin.get_by_test_id("send-progress")).to_have_attribute(
        "aria-valuenow", admin.get_by_test_id("send-progress").get_attribute("aria-valuemax") or ""
    )
    screenshot(admin, "email-send.png")
