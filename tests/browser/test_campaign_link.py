"""Issue 15: a visitor who arrived by a campaign link can change their industry.

Walked as the issue walked it: open ``/contact/?industry=saas``, click the industry chip in
the header (or the footer's "Update my industry"), choose Healthcare, submit. The visitor is
back on Contact as Healthcare, with the link's other parameters kept, and stays Healthcare
on every later page, after a reload and after the back button to the landing URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    MakeContext,
    choose_on_start_form,
    expect_contact,
    industry_name,
    wait_for_path,
)

pytestmark = pytest.mark.browser

LANDING = "/contact/?industry=saas&utm_source=newsletter"
BACK = "/contact/?utm_source=newsletter"


def _expect_industry(page: Page, industry: str) -> None:
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name(industry))


@pytest.mark.parametrize("entry", ["profile-chip", "update-industry"])
def test_a_visitor_from_a_campaign_link_changes_their_industry_and_it_stays(
    make_context: MakeContext, entry: str
) -> None:
    page = make_context().new_page()
    page.goto(LANDING)
    expect_contact(page, "industry:saas")
    _expect_industry(page, "saas")

    page.get_by_test_id(entry).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/start/")
    choose_on_start_form(page, "healthcare")
    wait_for_path(page, BACK)  # back on Contact; utm_* kept, the link's industry not
    expect_contact(page, "industry:healthcare")
    _expect_industry(page, "healthcare")

    for link in ("Test ideas", "Personas", "Contact"):  # later pages, by the site's links
        page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
        _expect_industry(page, "healthcare")
    expect_contact(page, "industry:healthcare")
    page.reload()
    expect_contact(page, "industry:healthcare")

    # Back to the landing URL itself (the history still holds it): the choice stands.
    page.goto(LANDING)
    expect_contact(page, "industry:healthcare")
    page.goto("/")
    _expect_industry(page, "healthcare")
