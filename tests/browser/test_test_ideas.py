"""The Test ideas library in the browser: filter without JavaScript, linkable, phone-sized."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.support import MakeContext, goal_label, industry_name, screenshot, site

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_filter_by_industry_and_goal_gives_a_linkable_page(
    make_context: MakeContext, javascript: bool
) -> None:
    industry, goal = "healthcare", "increase-appointment-bookings"
    expected = [
        i["slug"]
        for i in site()["test_ideas"]["ideas"]
        if industry in i["industries"] and goal in i["goals"]
    ]
    page = make_context(java_script_enabled=javascript).new_page()
    page.goto("/test-ideas/")
    form = page.get_by_test_id("idea-filter")
    form.get_by_label("Industry").select_option(label=industry_name(industry))
    form.get_by_label("Goal").select_option(label=goal_label(goal))
    form.get_by_test_id("idea-filter-apply").click()
    page.wait_for_url(f"**/test-ideas/?for={industry}&goal={goal}")
    ideas = page.get_by_test_id("test-ideas").locator("li.idea")
    expect(ideas).to_have_count(len(expected))
    assert sorted(ideas.evaluate_all("els => els.map(e => e.id)")) == sorted(expected)
    expect(page.get_by_test_id("idea-count")).to_contain_text(f"{len(expected)} idea")

    # The same URL in a new tab shows the same filtered list.
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.get_by_test_id("test-ideas").locator("li.idea")).to_have_count(len(expected))
    other_form = other.get_by_test_id("idea-filter")
    expect(other_form.get_by_label("Industry")).to_have_value(industry)
    expect(other_form.get_by_label("Goal")).to_have_value(goal)


def test_the_library_is_a_few_screens_on_a_phone_and_pages_on(make_context: MakeContext) -> None:
    page = make_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/test-ideas/")
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 8 * PHONE["height"], f"the library is {height} px tall on a phone"
    screenshot(page, "test-ideas-phone.png", full_page=False)
    first = page.get_by_test_id("test-ideas").locator("li.idea").first.get_attribute("id")
    page.get_by_test_id("idea-pager").get_by_role("link", name="Next").click()
    page.wait_for_url("**/test-ideas/?page=2")
    expect(page.get_by_test_id("test-ideas").locator("li.idea").first).not_to_have_id(first or "")


@pytest.mark.allow_console_errors("the server responded with a status of 400")
def test_an_unknown_filter_value_gets_a_message_not_an_error_page(
    make_context: MakeContext,
) -> None:
    page = make_context().new_page()
    response = page.goto("/test-ideas/?for=mining")
    assert response is not None
    assert response.status == 400
    expect(page.get_by_test_id("idea-filter-problems")).to_contain_text("no industry “mining”")
    expect(page.get_by_test_id("test-ideas").locator("li.idea").first).to_be_visible()
