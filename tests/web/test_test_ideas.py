"""The Test ideas library: a linkable server-side filter by industry and goal, with pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from persx.config import config
from persx.content.idea_filter import PAGE_SIZE
from tests.web.conftest import SITE_DATA

IDEAS = SITE_DATA["test_ideas"]["ideas"]


def _shown(html: str) -> list[str]:
    return re.findall(r'<li class="card idea" id="([^"]+)"', html)


def _all_pages(client: Client, query: str) -> list[str]:
    shown: list[str] = []
    page = 1
    while True:
        response = client.get(f"/test-ideas/?{query}&page={page}")
        assert response.status_code == 200
        ids = _shown(response.content.decode())
        assert 0 < len(ids) <= PAGE_SIZE
        shown += ids
        if 'rel="next"' not in response.content.decode():
            return shown
        page += 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("industry", "goal"),
    [("healthcare", ""), ("", "reduce-churn"), ("saas", "increase-conversion-rate")],
)
def test_the_filter_shows_exactly_the_tagged_ideas_over_its_pages(industry: str, goal: str) -> None:
    expected = {
        i["slug"]
        for i in IDEAS
        if (not industry or industry in i["industries"]) and (not goal or goal in i["goals"])
    }
    assert expected, "the demo data should have ideas for this filter"
    shown = _all_pages(Client(), f"for={industry}&goal={goal}")
    assert len(shown) == len(set(shown)), "an idea appeared on two pages"
    assert set(shown) == expected
    first = Client().get(f"/test-ideas/?for={industry}&goal={goal}").content.decode()
    assert f"{len(expected)} idea" in first


@pytest.mark.django_db
def test_the_unfiltered_library_is_paged() -> None:
    shown = _all_pages(Client(), "")
    assert sorted(shown) == sorted(i["slug"] for i in IDEAS)


@pytest.mark.django_db
def test_page_links_keep_the_filter() -> None:
    html = Client().get("/test-ideas/?for=healthcare").content.decode()
    assert 'href="?for=healthcare&amp;page=2"' in html


@pytest.mark.django_db
def test_filtering_by_industry_does_not_change_the_visitor_s_profile() -> None:
    response = Client().get("/test-ideas/?for=travel")
    assert config().profile_cookie_name not in response.cookies
    assert 'data-variant="generic"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [("for=mining", "for"), ("goal=world-peace", "goal"), ("page=abc", "page"), ("page=0", "page")],
)
def test_an_unknown_filter_value_is_named_and_all_ideas_still_shown(query: str, field: str) -> None:
    response = Client().get(f"/test-ideas/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'data-testid="idea-filter-problems">.*?<p>{field}: ', html, re.S)
    assert f"{len(IDEAS)} ideas" in html
    assert len(_shown(html)) == PAGE_SIZE


@pytest.mark.django_db
def test_a_page_past_the_end_shows_the_last_page() -> None:
    last = -(-len(IDEAS) // PAGE_SIZE)
    response = Client().get("/test-ideas/?page=999")
    assert response.status_code == 200
    assert f"page {last} of {last}" in response.content.decode()
