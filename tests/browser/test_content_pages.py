"""Content pages a visitor reads: Personas (their industry first) and About (every industry)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import INDUSTRIES, catalog, persona_goals, screenshot, start_form_to

pytestmark = pytest.mark.browser


def test_personas_page_puts_the_visitor_s_industry_first_and_marks_their_persona(
    page: Page,
) -> None:
    page.goto("/personas/")
    sections = page.get_by_test_id("persona-industry")
    expect(sections.first).to_have_attribute("data-industry", INDUSTRIES[0])  # catalog order
    expect(page.get_by_test_id("my-persona")).to_have_count(0)

    persona = next(p for p in catalog()["personas"] if p["industry"] == INDUSTRIES[-1])
    start_form_to(page, persona["industry"], "/personas/", goals=persona_goals(persona["slug"]))
    expect(sections).to_have_count(len(INDUSTRIES))
    expect(sections.first).to_have_attribute("data-industry", persona["industry"])
    expect(sections.first).to_contain_text("Your industry")
    mine = page.locator("[data-testid=persona][aria-current=true]")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("id", persona["slug"])
    expect(mine.get_by_test_id("my-persona")).to_be_visible()
    screenshot(page, "personas-mine.png", full_page=False)


def test_about_page_speaks_to_every_industry(page: Page) -> None:
    for industry in INDUSTRIES:
        page.goto(f"/about/?industry={industry}")
        for block in ("hero", "feature-grid"):
            expect(page.get_by_test_id(block)).to_have_attribute(
                "data-variant", f"industry:{industry}"
            )


def test_about_page_has_no_empty_gap_between_its_text_blocks(page: Page) -> None:
    page.goto("/about/")
    texts = page.get_by_test_id("text-block")
    expect(texts).to_have_count(2)
    gap = page.evaluate(
        """() => {
            const [a, b] = document.querySelectorAll('[data-testid=text-block] .prose');
            return b.firstElementChild.getBoundingClientRect().top
                 - a.lastElementChild.getBoundingClientRect().bottom;
        }"""
    )
    line = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.prose p')).lineHeight)"
    )
    # About two lines of space between the parts of one article, not a section break.
    assert gap <= 3 * line, f"{gap}px between the text blocks (line height {line}px)"
    screenshot(page, "about.png")
