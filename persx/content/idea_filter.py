"""The Test ideas library's filter (industry, goal) and paging, read from the URL.

Linkable and server-side: ``/test-ideas/?for=healthcare&goal=reduce-churn&page=2``. The
industry parameter is ``for``, not ``industry``: ``?industry=`` sets the visitor's profile
(see the profile middleware), and filtering a list must not change who the visitor is.
Unknown values are reported by name (the page answers 400 and shows every idea), never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator

from persx.content.tagged_index import RankedEntry
from persx.engine.visitor.catalog import Catalog

PAGE_SIZE = 8
INDUSTRY_PARAM = "for"
GOAL_PARAM = "goal"
PAGE_PARAM = "page"


@dataclass(frozen=True, slots=True)
class IdeaFilter:
    industry: str | None = None
    goal: str | None = None
    page: int = 1
    problems: tuple[str, ...] = ()

    def query(self, page: int | None = None) -> str:
        """The URL query of this filter (on ``page``), for links that keep it."""
        params = {INDUSTRY_PARAM: self.industry, GOAL_PARAM: self.goal}
        if page is not None and page > 1:
            params[PAGE_PARAM] = str(page)
        return urlencode({k: v for k, v in params.items() if v})


def parse_filter(params: Mapping[str, str], catalog: Catalog) -> IdeaFilter:
    problems: list[str] = []
    industry = params.get(INDUSTRY_PARAM, "").strip() or None
    if industry is not None and catalog.industry(industry) is None:
        problems.append(f"{INDUSTRY_PARAM}: there is no industry “{industry[:60]}”.")
        industry = None
    goal = params.get(GOAL_PARAM, "").strip() or None
    if goal is not None and goal not in catalog.goal_slugs():
        problems.append(f"{GOAL_PARAM}: there is no goal “{goal[:60]}”.")
        goal = None
    raw_page = params.get(PAGE_PARAM, "").strip() or "1"
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) >= 1 else 0
    if page == 0:
        problems.append(f"{PAGE_PARAM}: “{raw_page[:20]}” is not a page number.")
        page = 1
    return IdeaFilter(industry, goal, page, tuple(problems))


def matching(ideas: Sequence[RankedEntry], chosen: IdeaFilter) -> list[RankedEntry]:
    """The ideas tagged with the chosen industry and goal (ranking order kept)."""
    return [
        item
        for item in ideas
        if (chosen.industry is None or chosen.industry in item.entry.industries)
        and (chosen.goal is None or chosen.goal in item.entry.goals)
    ]


def page_of(ideas: Sequence[RankedEntry], chosen: IdeaFilter) -> Page[RankedEntry]:
    """The requested page; past the end, the last page (a stale link still shows ideas)."""
    paginator = Paginator(ideas, PAGE_SIZE, allow_empty_first_page=True)
    return paginator.page(min(chosen.page, paginator.num_pages))


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int
    query: str  # "?for=saas&page=2", or "?" for the unfiltered first page
    current: bool


def page_links(chosen: IdeaFilter, page: Page[RankedEntry]) -> list[PageLink]:
    return [PageLink(n, f"?{chosen.query(n)}", n == page.number) for n in page.paginator.page_range]
