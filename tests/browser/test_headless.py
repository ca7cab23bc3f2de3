"""The JavaScript client (persx/static/persx/headless.js) on the /headless-demo/ page draws,
in the browser, the blocks the server-rendered page shows the same visitor."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SECTIONS = {
    "hero": "hero",
    "feature-grid": "feature_grid",
    "contact-form": "contact_form",
    "testimonial": "testimonial",
    "related": "related",
    "cta": "cta",
    "newsletter-signup": "newsletter_signup",
}


def server_rendered(page: Page, path: str) -> list[tuple[str, str]]:
    """(block type, data-variant) of each block section of the server-rendered page."""
    page.goto(path)
    found = []
    for section in page.locator("main section[data-variant]").all():
        testid = section.get_attribute("data-testid") or ""
        if testid in SECTIONS:
            found.append((SECTIONS[testid], section.get_attribute("data-variant") or ""))
    return found


def client_rendered(page: Page) -> list[tuple[str, str]]:
    expect(page.get_by_test_id("headless-status")).to_have_attribute("data-state", "ready")
    found = []
    for section in page.locator("#headless-blocks > section").all():
        testid = (section.get_attribute("data-testid") or "").removeprefix("headless-")
        found.append((SECTIONS[testid], section.get_attribute("data-variant") or ""))
    return found


def test_the_demo_page_renders_the_server_pages_decisions_in_the_browser(page: Page) -> None:
    page.goto("/?industry=healthcare")  # a profile cookie, as from a campaign link
    contact = server_rendered(page, "/contact/")
    contact_headline = page.get_by_test_id("hero").locator("h1").inner_text()
    home = server_rendered(page, "/")
    assert {variant for _type, variant in contact} == {"industry:healthcare"}

    page.goto("/headless-demo/")
    assert client_rendered(page) == contact
    hero = page.get_by_test_id("headless-hero")
    expect(hero.locator("h1")).to_have_text(contact_headline)
    expect(page.get_by_test_id("headless-decision")).to_have_count(len(contact))
    expect(page.get_by_test_id("headless-status")).to_contain_text("healthcare")

    with page.expect_response(lambda r: r.url.endswith("/api/decisions")) as answer:
        page.get_by_test_id("headless-page").select_option("/")
    assert answer.value.status == 200
    expect(page.get_by_test_id("headless-decision")).to_have_count(len(home))
    assert client_rendered(page) == home
