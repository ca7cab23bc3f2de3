"""Every seeded page × every industry (and no profile) renders 200 with the right variants."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from wagtail.blocks import StreamValue
from wagtail.models import Page

from persx.content.blocks import PersonalizableBlock
from tests.web.conftest import INDUSTRIES, SITE_DATA, client_with_profile, variants

TESTID = {
    "hero": "hero",
    "feature_grid": "feature-grid",
    "contact_form": "contact-form",
    "cta": "cta",
    "testimonial": "testimonial",
    "related": "related",
    "newsletter_signup": "newsletter-signup",
}


def expected_blocks(page: Page, industry: str | None) -> list[tuple[str, str]]:
    """What the page must show, derived from its StreamField data (not from the renderer)."""
    specific: Any = page.specific
    expected: list[tuple[str, str]] = []
    streams = [
        getattr(specific, name)
        for name in ("body", "cta")
        if isinstance(getattr(specific, name, None), StreamValue)
    ]
    for stream in streams:
        for child in stream:
            if not isinstance(child.block, PersonalizableBlock):
                continue
            audiences = {v["audience"] for v in child.value["variants"]}
            key = f"industry:{industry}"
            variant = key if industry and key in audiences else "generic"
            expected.append((TESTID[child.block.block_type], variant))
            if child.block.block_type == "contact_form":
                expected.append(("contact-reasons", variant))
    return expected


class ListItems(HTMLParser):
    """The text of each ``<li>`` inside the element with ``data-testid`` (entities decoded,
    so the comparison is with the raw text whatever the template escapes)."""

    def __init__(self, testid: str) -> None:
        super().__init__()
        self.testid = testid
        self.items: list[str] = []
        self._depth = 0
        self._item: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth or dict(attrs).get("data-testid") == self.testid:
            self._depth += 1
            if tag == "li":
                self._item = ""

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
            if tag == "li" and self._item is not None:
                self.items.append(self._item.strip())
                self._item = None

    def handle_data(self, data: str) -> None:
        if self._item is not None:
            self._item += data


def list_items(html: str, testid: str) -> list[str]:
    parser = ListItems(testid)
    parser.feed(html)
    return parser.items


def live_pages() -> list[Page]:
    return list(Page.objects.live().filter(depth__gt=1).specific().order_by("path"))


@pytest.mark.django_db
@pytest.mark.parametrize("industry", [None, *INDUSTRIES])
def test_every_page_renders_with_the_right_variants(industry: str | None) -> None:
    pages = live_pages()
    assert len(pages) >= 6 + 6  # home, about, contact, blog, ideas, personas + posts
    client = client_with_profile(industry) if industry else Client()
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        shown = [
            b for b in variants(response.content) if b[0] in {*TESTID.values(), "contact-reasons"}
        ]
        assert shown == expected_blocks(page, industry), page.url


@pytest.mark.django_db
@pytest.mark.parametrize("industry", INDUSTRIES)
def test_contact_shows_that_industrys_reasons(industry: str) -> None:
    response = client_with_profile(industry).get("/contact/")
    block = next(b for b in SITE_DATA["contact"]["body"] if b["type"] == "contact_form")
    reasons = next(v for v in block["variants"] if v["audience"] == f"industry:{industry}")[
        "content"
    ]["reasons"]
    html = response.content.decode()
    assert ("contact-reasons", f"industry:{industry}") in variants(html)
    assert list_items(html, "contact-reasons") == reasons


@pytest.mark.django_db
def test_persona_variant_wins_over_industry_variant() -> None:
    block = next(b for b in SITE_DATA["contact"]["body"] if b["type"] == "contact_form")
    persona = next(
        v["audience"].split(":", 1)[1]
        for v in block["variants"]
        if v["audience"].startswith("persona:healthcare")
    )
    response = client_with_profile("healthcare", persona).get("/contact/")
    assert ("contact-reasons", f"persona:{persona}") in variants(response.content)
    reasons = next(v for v in block["variants"] if v["audience"] == f"persona:{persona}")[
        "content"
    ]["reasons"]
    assert any("'" in r for r in reasons)  # the escaping is exercised, not assumed
    assert list_items(response.content.decode(), "contact-reasons") == reasons
    # Blocks without a persona variant fall back to the industry variant.
    assert ("testimonial", "industry:healthcare") in variants(response.content)


@pytest.mark.django_db
def test_test_ideas_are_ordered_for_the_visitor() -> None:
    generic = Client().get("/test-ideas/").content.decode()
    travel = client_with_profile("travel").get("/test-ideas/").content.decode()
    travel_slugs = [
        i["slug"] for i in SITE_DATA["test_ideas"]["ideas"] if "travel" in i["industries"]
    ]
    first_any_idea = travel.index('class="card idea"')
    # The first idea shown to a travel visitor is a travel idea...
    first_id = travel[first_any_idea:].split('id="', 1)[1].split('"', 1)[0]
    assert first_id in travel_slugs
    # ...while without a profile the editorial order stands.
    first_generic = (
        generic[generic.index('class="card idea"') :].split('id="', 1)[1].split('"', 1)[0]
    )
    assert first_generic == SITE_DATA["test_ideas"]["ideas"][0]["slug"]
    assert ("test-ideas", "industry:travel") in variants(travel)
