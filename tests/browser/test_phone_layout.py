"""Phone layout: nothing pushes the page wider than a 390 px screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import MakeContext, catalog, persona_goals, screenshot, start_form_to

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _longest_roles(count: int) -> list[dict[str, str]]:
    return sorted(catalog()["personas"], key=lambda p: len(p["role"]), reverse=True)[:count]


@pytest.mark.parametrize("persona", _longest_roles(3), ids=lambda p: p["slug"])
def test_profile_chip_fits_a_phone(make_context: MakeContext, persona: dict[str, str]) -> None:
    page = make_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    start_form_to(page, persona["industry"], "/", goals=persona_goals(persona["slug"]))
    chip = page.get_by_test_id("profile-chip")
    expect(chip).to_have_attribute("title", re.compile(re.escape(persona["role"])))
    for path in ("/", "/contact/", "/test-ideas/", "/personas/", "/about/"):
        page.goto(path)
        expect(chip).to_be_visible()
        sizes = page.evaluate(
            "() => ({scroll: document.scrollingElement.scrollWidth, inner: innerWidth,"
            " chip: document.querySelector('[data-testid=profile-chip]')"
            ".getBoundingClientRect().right})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} is wider than the phone: {sizes}"
        assert sizes["inner"] == PHONE["width"], f"{path} widened the layout viewport: {sizes}"
        assert sizes["chip"] <= sizes["inner"], f"the chip sticks out on {path}: {sizes}"
    page.goto("/")
    screenshot(page, f"phone-chip-{persona['slug']}.png", full_page=False)
