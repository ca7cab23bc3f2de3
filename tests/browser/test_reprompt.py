"""A returning visitor whose profile cookie is gone (new session, no mirror in the tab) is
offered the start form once, in a quiet banner they can dismiss."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import expect_contact, screenshot, start_form_to, wait_for_path

pytestmark = pytest.mark.browser


def _new_session_tab(context: BrowserContext) -> Page:
    """The cookie is gone and a new tab has no sessionStorage mirror: a new session."""
    context.clear_cookies()
    return context.new_page()


def test_a_profiled_visitor_who_lost_the_cookie_is_offered_the_start_form_once(
    page: Page,
) -> None:
    start_form_to(page, "saas")
    assert page.evaluate("localStorage.getItem('persx.wasProfiled')") == "1"
    tab = _new_session_tab(page.context)
    tab.goto("/contact/")
    expect_contact(tab, "generic")
    offer = tab.get_by_test_id("reprompt")
    expect(offer).to_be_visible()
    expect(tab.get_by_test_id("restore-prompt")).to_be_hidden()
    screenshot(tab, "reprompt.png", full_page=False)

    tab.get_by_test_id("reprompt-dismiss").click()
    expect(offer).to_be_hidden()
    tab.reload()
    expect_contact(tab, "generic")
    expect(offer).to_be_hidden()  # once
    other = page.context.new_page()
    other.goto("/")
    expect(other.get_by_test_id("reprompt")).to_be_hidden()


def test_the_offer_leads_to_the_start_form_and_back(page: Page) -> None:
    start_form_to(page, "healthcare")
    tab = _new_session_tab(page.context)
    tab.goto("/contact/")
    tab.get_by_test_id("reprompt-start").click()
    wait_for_path(tab, "/start/?next=/contact/")
    expect(tab.get_by_test_id("reprompt")).to_have_count(0)  # not on the form itself


def test_no_offer_for_a_visitor_never_profiled_or_who_asked_to_be_forgotten(page: Page) -> None:
    page.goto("/contact/")
    page.reload()
    expect(page.get_by_test_id("reprompt")).to_be_hidden()

    start_form_to(page, "travel")
    page.goto("/start/")
    page.get_by_test_id("forget-me").click()
    expect(page.get_by_test_id("start-link")).to_be_visible()
    assert page.evaluate("localStorage.getItem('persx.wasProfiled')") is None
    tab = _new_session_tab(page.context)
    tab.goto("/contact/")
    expect_contact(tab, "generic")
    expect(tab.get_by_test_id("reprompt")).to_be_hidden()
