"""The studio's email preview in a real browser: from the template's edit screen to the
audience's email beside the generic one (sandboxed frames rendered by the sending
templates), switching the audience, and the plain text."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import screenshot, sign_in, site

pytestmark = pytest.mark.browser


def home_hero(audience: str | None) -> str:
    hero = next(b for b in site()["home"]["body"] if b["type"] == "hero")
    if audience is None:
        return str(hero["base"]["headline"])
    return str(
        next(v for v in hero["variants"] if v["audience"] == audience)["content"]["headline"]
    )


def test_an_editor_previews_an_email_per_audience_from_its_edit_screen(page: Page) -> None:
    sign_in(page, "/cms/")
    page.get_by_role("link", name="Email templates").first.click()
    page.get_by_role("link", name="Welcome to PersX").first.click()
    page.get_by_test_id("email-preview-link").click()

    preview = page.get_by_test_id("email-preview")
    expect(preview).to_be_visible()
    audience = page.get_by_test_id("email-audience")
    first_industry = audience.locator("option").first.get_attribute("value")
    assert first_industry is not None
    expect(audience).to_have_value(first_industry)

    generic = page.frame_locator("[data-testid=email-pane-generic]")
    expect(generic.locator("h1")).to_have_text(home_hero(None))
    expect(page.get_by_test_id("email-pane-audience")).to_have_attribute("sandbox", "")

    audience.select_option("industry:healthcare")
    expect(audience).to_have_value("industry:healthcare")
    chosen = page.frame_locator("[data-testid=email-pane-audience]")
    expect(chosen.locator("h1")).to_have_text(home_hero("industry:healthcare"))
    expect(generic.locator("h1")).to_have_text(home_hero(None))
    # Every image of the email loads (absolute URL on the admin's host) and is described.
    logo = chosen.locator("img").first
    expect(logo).to_have_attribute("alt", "PersX")
    expect(logo).to_have_js_property("complete", True)
    assert logo.evaluate("img => img.naturalWidth") > 0
    expect(page.get_by_test_id("email-text-audience")).to_contain_text(
        home_hero("industry:healthcare")
    )
    expect(page.get_by_test_id("email-text-audience")).to_contain_text("Unsubscribe")
    hero_row = page.get_by_test_id("email-decisions").locator("tr[data-block-type=hero]")
    expect(hero_row.get_by_test_id("email-chosen-variant")).to_have_text("industry:healthcare")
    screenshot(page, "studio-email-preview.png", full_page=False)
    page.get_by_test_id("email-pane-generic").scroll_into_view_if_needed()
    screenshot(page, "studio-email-preview-panes.png", full_page=False)
    page.get_by_test_id("email-text-generic").scroll_into_view_if_needed()
    screenshot(page, "studio-email-preview-text.png", full_page=False)
