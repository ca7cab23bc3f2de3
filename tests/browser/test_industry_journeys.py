"""Each industry, end to end: chosen in the browser, kept across reloads, tabs, devices and
lost cookies, with and without JavaScript."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    INDUSTRIES,
    PROFILE_COOKIE,
    MakeContext,
    expect_contact,
    industry_name,
    profile_cookie,
    screenshot,
    sign_in,
    start_form_to,
    wait_for_path,
)

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("industry", INDUSTRIES)]

SEVEN_DAYS_S = 7 * 24 * 3600
SCREENSHOT_INDUSTRIES = {"healthcare", "saas"}


def test_start_form_profile_survives_reloads_tabs_devices_and_lost_cookies(
    page: Page, make_context: MakeContext, industry: str
) -> None:
    variant = f"industry:{industry}"
    # Chosen through the UI: click the industry's label, tick a goal, submit.
    before = time.time()
    start_form_to(page, industry)
    expect_contact(page, variant)
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name(industry))
    if industry in SCREENSHOT_INDUSTRIES:
        screenshot(page, f"contact-{industry}.png")

    # A reload, and a new tab in the same browser.
    page.reload()
    expect_contact(page, variant)
    other_tab = page.context.new_page()
    other_tab.goto("/contact/")
    expect_contact(other_tab, variant)
    other_tab.close()

    # The signed, HttpOnly, 7-day cookie alone carries the profile to a new browser.
    checked = time.time()
    cookie = profile_cookie(page.context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    # Expires seven days after a response set it, so between these bounds (±1 s rounding).
    assert before + SEVEN_DAYS_S - 1 <= cookie["expires"] <= checked + SEVEN_DAYS_S + 1
    fresh = make_context()
    fresh.add_cookies([cookie])
    assert [c["name"] for c in fresh.cookies()] == [PROFILE_COOKIE]
    fresh_page = fresh.new_page()
    fresh_page.goto("/contact/")
    expect_contact(fresh_page, variant)
    fresh.close()

    # Cookies cleared in the open tab: generic, until the tab's mirror restores the profile.
    prompt = page.get_by_test_id("restore-prompt")
    page.context.clear_cookies()
    page.reload()
    expect_contact(page, "generic")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text(industry_name(industry))
    page.get_by_test_id("restore-button").click()
    expect_contact(page, variant)
    expect(prompt).to_have_count(0)
    profile_cookie(page.context)  # written again by the restore


def test_start_form_and_personalization_work_without_javascript(
    make_context: MakeContext, industry: str
) -> None:
    page = make_context(java_script_enabled=False).new_page()
    start_form_to(page, industry)
    expect_contact(page, f"industry:{industry}")
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name(industry))
    page.reload()
    expect_contact(page, f"industry:{industry}")


def test_industry_link_sets_the_profile_and_it_persists(page: Page, industry: str) -> None:
    variant = f"industry:{industry}"
    page.goto(f"/?industry={industry}")
    expect(page.get_by_test_id("hero")).to_have_attribute("data-variant", variant)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contact").click()
    wait_for_path(page, "/contact/")
    assert "industry=" not in page.url
    expect_contact(page, variant)
    page.reload()
    expect_contact(page, variant)


def test_signed_in_profile_follows_the_visitor_to_a_new_context(
    page: Page, make_context: MakeContext, industry: str
) -> None:
    variant = f"industry:{industry}"
    start_form_to(page, industry)
    sign_in(page, "/contact/")
    expect_contact(page, variant)

    second_device = make_context().new_page()
    sign_in(second_device, "/contact/", expect_no_profile=True)
    expect_contact(second_device, variant)
    profile_cookie(second_device.context)  # cached in the new device's cookie from now on
