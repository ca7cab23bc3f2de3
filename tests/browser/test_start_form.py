"""The start form: the chosen industry's goals and tools first, the rest on request,
one laptop screen, with and without JavaScript; one claim about how long it takes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.support import (
    INDUSTRIES,
    MakeContext,
    catalog,
    expect_contact,
    industry_name,
    screenshot,
    wait_for_path,
)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _industry_own(kind: str, industry: str) -> list[str]:
    """The ``goals`` or ``tools`` the catalog's personas of ``industry`` have, in catalog order."""
    own = {slug for p in catalog()["personas"] if p["industry"] == industry for slug in p[kind]}
    return [item["slug"] for item in catalog()[kind] if item["slug"] in own]


def _visible_values(choices: Locator) -> list[str]:
    """The values of the visible choices, in reading order (top to bottom, left to right)."""
    boxes = choices.evaluate_all(
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect();
            return {value: e.value, top: Math.round(r.top), left: Math.round(r.left)};
        })"""
    )
    return [b["value"] for b in sorted(boxes, key=lambda b: (b["top"], b["left"]))]


def _choose_industry(page: Page, industry: str) -> None:
    form = page.get_by_test_id("start-form")
    form.locator("label.choice").filter(has=page.locator(f"input[value='{industry}']")).click()
    expect(form.locator(f"input[name=industry][value='{industry}']")).to_be_checked()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_industry_s_goals_and_tools_come_first_and_the_rest_on_request(
    make_context: MakeContext, javascript: bool
) -> None:
    page = make_context(viewport=LAPTOP, java_script_enabled=javascript).new_page()
    page.goto("/start/?next=/contact/")
    form = page.get_by_test_id("start-form")
    expect(form.get_by_test_id("choose-industry-first")).to_be_visible()
    expect(form.locator("input[name=goals]:visible")).to_have_count(0)
    goals = form.locator("input[name=goals]")
    tools = form.locator("input[name=tools]")
    for industry in INDUSTRIES:
        _choose_industry(page, industry)
        expect(form.get_by_test_id("choose-industry-first")).to_be_hidden()
        assert _visible_values(goals) == _industry_own("goals", industry)
        assert _visible_values(tools) == _industry_own("tools", industry)

    form.get_by_test_id("show-all-goals").click()
    shown = _visible_values(goals)
    own = _industry_own("goals", INDUSTRIES[-1])
    assert len(shown) == len(catalog()["goals"])
    assert shown[: len(own)] == own  # still first
    form.get_by_test_id("show-all-tools").click()
    assert len(_visible_values(tools)) == len(catalog()["tools"])

    # Another industry's goal, chosen after "Show all goals", is kept and submitted.
    other = next(g["slug"] for g in catalog()["goals"] if g["slug"] not in own)
    form.locator(f"label.choice:has(input[value='{other}'])").click()
    form.get_by_test_id("start-submit").click()
    wait_for_path(page, "/contact/")
    expect_contact(page, f"industry:{INDUSTRIES[-1]}")
    expect(page.get_by_test_id("profile-chip")).to_contain_text(industry_name(INDUSTRIES[-1]))


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_after_choosing_an_industry_the_form_fits_one_laptop_screen(
    make_context: MakeContext, industry: str
) -> None:
    page = make_context(viewport=LAPTOP).new_page()
    page.goto("/start/?next=/")
    _choose_industry(page, industry)
    submit = page.get_by_test_id("start-submit")
    box = submit.bounding_box()
    assert box is not None
    assert page.evaluate("scrollY") == 0
    assert box["y"] + box["height"] <= LAPTOP["height"], f"submit below the fold: {box}"
    if industry == "healthcare":
        screenshot(page, "start-form-laptop.png", full_page=False)


def test_the_start_form_on_a_phone_is_short(make_context: MakeContext) -> None:
    page = make_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto("/start/?next=/")
    _choose_industry(page, "healthcare")
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height <= 2 * 1000, f"the form is {height} px tall on a phone"
    screenshot(page, "start-form-phone.png")


def test_one_claim_about_how_long_the_start_form_takes(page: Page) -> None:
    claims: dict[str, set[str]] = {}
    for path in ("/", "/start/", "/about/", "/contact/", "/personas/"):
        page.goto(path)
        text = page.locator("body").inner_text()
        found = re.findall(r"(?:about |under |in )?\d+ seconds|a minute", text, re.I)
        claims[path] = {re.sub(r"^(about|under|in) ", "", c.lower()) for c in found}
    every = set().union(*claims.values())
    assert every == {"30 seconds"}, f"durations claimed: {claims}"
