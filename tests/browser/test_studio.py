"""The variant studio in a real browser: the coverage matrix, its filter, and the
side-by-side preview opened from a cell (both panes rendered by the site's templates)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ROOT, screenshot, sign_in, site, wait_for_path

pytestmark = pytest.mark.browser

PERSONALIZABLE = {
    "hero",
    "feature_grid",
    "contact_form",
    "cta",
    "testimonial",
    "related",
    "newsletter_signup",
}


def personalizable_block_count() -> int:
    data = site()
    count = sum(
        1
        for key in ("home", "about", "contact")
        for block in data[key]["body"]
        if block["type"] in PERSONALIZABLE
    )
    posts = data["blog"]["posts"]
    # every post has its call to action when it has one, and the blog's signup block after it
    return count + sum(1 for post in posts if post.get("cta")) + len(posts)


def test_coverage_matrix_filter_and_side_by_side_preview(page: Page) -> None:
    rows = personalizable_block_count()
    sign_in(page, "/cms/studio/coverage/")
    matrix = page.get_by_test_id("coverage-matrix")
    expect(matrix.get_by_test_id("coverage-row")).to_have_count(rows)
    expect(matrix.locator("td.px-cell")).to_have_count(rows * 20)
    expect(page.get_by_test_id("coverage-legend")).to_contain_text("Variant live")
    screenshot(page, "studio-coverage.png", full_page=False)

    page.get_by_test_id("coverage-filter").get_by_label("Industry").select_option("saas")
    wait_for_path(page, "/cms/studio/coverage/?industry=saas")
    expect(matrix.locator("td.px-cell")).to_have_count(rows * 4)
    expect(matrix.locator("th.px-col")).to_have_text(
        ["All SaaS", "Growth Lead Sam", "Demand Gen Diana", "Customer Marketing Carla"]
    )
    screenshot(page, "studio-coverage-saas.png", full_page=False)

    contact_title = site()["contact"]["title"]
    testimonial = matrix.locator('[data-testid="coverage-row"][data-block-type="testimonial"]')
    testimonial = testimonial.filter(has_text=contact_title)
    cell = testimonial.locator('td[data-audience="persona:saas-growth-lead"] a')
    expect(cell).to_have_attribute(
        "title", "Growth Lead Sam: Industry variant — served the industry's variant"
    )
    cell.click()
    panel = page.get_by_test_id("cell-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Growth Lead Sam: Industry variant")
    expect(panel.get_by_test_id("draft-cell")).to_be_disabled()  # no key on this server
    expect(panel.get_by_test_id("drafting-off-reason")).to_contain_text("ANTHROPIC_API_KEY")
    screenshot(page, "studio-cell-panel.png", full_page=False)
    panel.get_by_test_id("panel-preview").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/cms/studio/preview/")

    generic = page.frame_locator('[data-testid="pane-generic-desktop"]')
    audience = page.frame_locator('[data-testid="pane-audience-desktop"]')
    audience_mobile = page.frame_locator('[data-testid="pane-audience-mobile"]')
    expect(generic.get_by_test_id("testimonial")).to_have_attribute("data-variant", "generic")
    # The persona has no testimonial of its own: it is served its industry's.
    expect(audience.get_by_test_id("testimonial")).to_have_attribute(
        "data-variant", "industry:saas"
    )
    expect(audience.get_by_test_id("contact-form")).to_have_attribute(
        "data-variant", "persona:saas-growth-lead"
    )
    expect(audience_mobile.get_by_test_id("testimonial")).to_have_attribute(
        "data-variant", "industry:saas"
    )
    expect(page.get_by_test_id("audience-label")).to_have_text("Growth Lead Sam (SaaS)")
    screenshot(page, "studio-preview.png", full_page=False)

    page.evaluate("window.__studioMarker = 'same document'")
    page.get_by_test_id("preview-audience").select_option("industry:healthcare")
    expect(audience.get_by_test_id("testimonial")).to_have_attribute(
        "data-variant", "industry:healthcare"
    )
    expect(audience_mobile.get_by_test_id("hero")).to_have_attribute(
        "data-variant", "industry:healthcare"
    )
    expect(generic.get_by_test_id("testimonial")).to_have_attribute("data-variant", "generic")
    expect(page.get_by_test_id("audience-label")).to_have_text("All Healthcare")
    expect(page.locator("[data-audience-key]")).to_have_text("industry:healthcare")
    assert page.evaluate("window.__studioMarker") == "same document"  # no reload, no save
    query = parse_qs(urlsplit(page.url).query)
    assert query["audience"] == ["industry:healthcare"]
    screenshot(page, "studio-preview-switched.png", full_page=True)


@pytest.mark.allow_console_errors("the server responded with a status of 400")
def test_review_flow_flagged_draft_needs_a_note_then_goes_live(page: Page) -> None:
    """The demo's flagged pre-made draft: refused without a note, approved with one, then
    the matrix shows the variant live and the site serves it to that persona."""
    drafts = json.loads((ROOT / "persx" / "demo" / "data" / "ai_drafts.json").read_text())
    flagged = next(d for d in drafts["drafts"] if "41%" in d["content"]["subheadline"])
    sign_in(page, "/cms/studio/drafts/")
    row = page.get_by_test_id("draft-row").filter(has_text=flagged["audience"])
    expect(row).to_contain_text("1 open")
    row.get_by_role("link", name="Review").click()
    expect(page.get_by_test_id("flags")).to_contain_text("41%")
    screenshot(page, "studio-review.png", full_page=True)

    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("review-error")).to_contain_text("override_note")
    page.get_by_label("Override note").fill("Figure approved by the Westbrook case study owner.")
    page.get_by_test_id("approve").click()
    wait_for_path(page, "/cms/studio/drafts/")
    expect(page.get_by_test_id("draft-row").filter(has_text=flagged["audience"])).to_have_count(0)

    page.goto("/cms/studio/coverage/?industry=healthcare")
    contact_title = site()["contact"]["title"]
    hero = page.locator('[data-testid="coverage-row"][data-block-type="hero"]').filter(
        has_text=contact_title
    )
    cell = hero.locator(f'td[data-audience="{flagged["audience"]}"]')
    expect(cell).to_have_attribute("data-state", "live")

    cell.locator("a").click()
    page.get_by_test_id("panel-preview").click()
    audience = page.frame_locator('[data-testid="pane-audience-desktop"]')
    expect(audience.get_by_test_id("hero")).to_have_attribute("data-variant", flagged["audience"])
    expect(audience.get_by_test_id("hero")).to_contain_text(flagged["content"]["headline"])
