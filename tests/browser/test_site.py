"""The start form itself, changing industry, personas, the staff admin bar, and mobile layout."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.support import (
    INDUSTRIES,
    MakeContext,
    contact_block_types,
    expect_contact,
    industry_name,
    neutral_goal,
    persona_goals,
    screenshot,
    sign_in,
    start_form_to,
    wait_for_path,
)

pytestmark = pytest.mark.browser

MOBILE = {"width": 375, "height": 812}


@pytest.mark.allow_console_errors("the server responded with a status of 400")
def test_start_form_asks_again_when_industry_or_goals_are_missing(page: Page) -> None:
    page.goto("/start/?next=/contact/")
    form = page.get_by_test_id("start-form")
    expect(form.locator("input[name=industry]")).to_have_count(len(INDUSTRIES))
    expect(form.get_by_test_id("start-submit")).to_be_visible()
    screenshot(page, "start-form.png")

    form.get_by_test_id("start-submit").click()

    expect(page.get_by_role("alert")).to_contain_text("Please check the highlighted fields")
    expect(page.locator("fieldset.has-error")).to_have_count(2)
    expect(page.get_by_test_id("start-link")).to_be_visible()  # still no profile
    expect(page.get_by_test_id("start-form").locator("input[name=next]")).to_have_value("/contact/")


def test_goals_matching_a_persona_get_the_persona_variant(page: Page) -> None:
    persona = "saas-demand-gen"
    start_form_to(page, "saas", goals=persona_goals(persona))
    expect_contact(page, f"persona:{persona}")
    expect(page.get_by_test_id("hero")).to_have_attribute("data-variant", "industry:saas")


def test_footer_link_changes_the_industry(page: Page) -> None:
    # A goal that stays persona-neutral in both industries: the variants are industry-level.
    start_form_to(page, "ecommerce", goals=[neutral_goal("ecommerce", "travel")])
    expect_contact(page, "industry:ecommerce")

    page.get_by_test_id("update-industry").click()
    wait_for_path(page, "/start/?next=/contact/")
    form = page.get_by_test_id("start-form")
    expect(form.locator("input[name=industry][value=ecommerce]")).to_be_checked()
    form.locator("label.choice").filter(has_text=industry_name("travel")).click()
    form.get_by_test_id("start-submit").click()

    wait_for_path(page, "/contact/")
    expect_contact(page, "industry:travel")
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name("travel"))


def test_admin_bar_shows_decisions_and_previews_without_changing_the_profile(
    page: Page,
) -> None:
    sign_in(page, "/")
    start_form_to(page, "ecommerce")
    expect_contact(page, "industry:ecommerce")
    bar = page.get_by_test_id("admin-bar")
    expect(bar).to_be_visible()
    decisions = bar.get_by_test_id("admin-bar-decision")
    expect(decisions).to_have_count(len(contact_block_types()))
    for row in decisions.all():
        expect(row).to_have_attribute("data-variant", "industry:ecommerce")

    bar.locator("summary").click()
    bar.locator("select[name=persx_preview]").select_option("industry:travel")
    bar.get_by_role("button", name="Apply").click()
    wait_for_path(page, "/contact/?persx_preview=industry%3Atravel")

    expect_contact(page, "industry:travel")
    expect(bar).to_contain_text(f"Preview: {industry_name('travel')}")
    expect(bar.locator("select[name=persx_preview]")).to_have_value("industry:travel")
    # The page, header chip included, is what a Travel visitor sees; the real profile is
    # untouched: the bar and the API still say eCommerce.
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name("travel"))
    expect(bar).to_contain_text(f"Your profile: {industry_name('ecommerce')}")
    state = page.request.get("/api/personalization").json()
    assert state["industry"]["slug"] == "ecommerce"
    page.goto("/contact/")
    expect_contact(page, "industry:travel")  # the preview lasts for the session

    bar.locator("summary").click()
    bar.locator("select[name=persx_preview]").select_option("off")
    bar.get_by_role("button", name="Apply").click()
    wait_for_path(page, "/contact/?persx_preview=off")
    expect_contact(page, "industry:ecommerce")
    expect(bar).not_to_contain_text("Preview:")
    page.goto("/contact/")
    expect_contact(page, "industry:ecommerce")


@pytest.mark.allow_console_errors("the server responded with a status of 500")
def test_a_failed_restore_can_be_retried(page: Page) -> None:
    start_form_to(page, "healthcare")
    page.context.clear_cookies()
    page.reload()
    button = page.get_by_test_id("restore-button")
    expect(button).to_be_visible()

    def fail_the_put(route: Route) -> None:
        if route.request.method == "PUT":
            route.fulfill(status=500, json={"detail": "boom"})
        else:
            route.continue_()

    page.route("**/api/personalization", fail_the_put)
    with page.expect_response(lambda r: r.request.method == "PUT"):
        button.click()
    expect(button).to_be_enabled()
    expect_contact(page, "generic")

    page.unroute("**/api/personalization")
    button.click()
    expect_contact(page, "industry:healthcare")


def _assert_no_horizontal_overflow(page: Page, path: str) -> None:
    page.goto(path)
    sizes = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], f"{path} overflows horizontally: {sizes}"
    assert sizes["inner"] == MOBILE["width"], f"{path} widened the layout viewport: {sizes}"


def test_nothing_overflows_horizontally_on_a_phone(make_context: MakeContext) -> None:
    page = make_context(viewport=MOBILE, is_mobile=True, has_touch=True).new_page()
    for path in ("/", "/contact/", "/start/"):
        _assert_no_horizontal_overflow(page, path)
    for industry in INDUSTRIES:
        _assert_no_horizontal_overflow(page, f"/?industry={industry}")
        _assert_no_horizontal_overflow(page, "/contact/")
    screenshot(page, "mobile-contact.png")
    page.goto("/")
    screenshot(page, "mobile-home.png")
