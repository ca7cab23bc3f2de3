"""The per-process page caches (rendered block fragments, the route table) change nothing
a visitor sees: cached renders equal full renders for every personalized page and
audience, no visitor ever gets another's variant, responses stay private, and publishing,
unpublishing, moving or restricting a page takes effect at once."""

from __future__ import annotations

import re
from html import escape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.content import blocks as persx_blocks
from persx.content.fragment_cache import MAX_ENTRIES, FragmentCache, fragments
from persx.content.inventory import live_pages
from persx.content.models import StandardPage
from persx.content.page_personalization import served_blocks
from persx.content.routing import live_page
from tests.web.conftest import INDUSTRIES, profile_cookie, variants

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def personalized_urls() -> list[str]:
    from persx.content.models import PersonalizedPage

    urls = []
    for page in Page.objects.live().specific():
        if isinstance(page, PersonalizedPage):
            urls.append(page.url)
    return sorted(urls)


def audiences() -> list[tuple[str, str | None]]:
    catalog = current_catalog()
    found: list[tuple[str, str | None]] = [(slug, None) for slug in INDUSTRIES]
    found += [(p.industry, p.slug) for p in catalog.personas]
    return found


def visitor(industry: str | None, persona: str | None = None) -> Client:
    client = Client()
    if industry is not None:
        client.cookies[config().profile_cookie_name] = profile_cookie(industry, persona)
    return client


def normalized(html: bytes) -> str:
    """The page without its per-request CSRF token (masked differently on every render)."""
    return CSRF_VALUE.sub(r"\1-\2", html.decode())


def own_variants(industry: str | None, persona: str | None) -> set[str]:
    own = {"generic"}
    if industry is not None:
        own.add(f"industry:{industry}")
    if persona is not None:
        own.add(f"persona:{persona}")
    return own


def render_all(visitors: list[tuple[str | None, str | None]], urls: list[str]) -> dict[str, str]:
    """Every page for every visitor; checks each response as it goes: 200, private and
    varying on Cookie, and only the visitor's own variants (or generic) served."""
    pages = {}
    for industry, persona in visitors:
        client = visitor(industry, persona)
        for url in urls:
            response = client.get(url)
            label = f"{industry}/{persona} {url}"
            assert response.status_code == 200, label
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            assert "private" in directives, label
            assert "public" not in directives, label
            assert "Cookie" in response.get("Vary", ""), label
            served = {variant for _, variant in variants(response.content)}
            assert served <= own_variants(industry, persona), (label, served)
            pages[label] = normalized(response.content)
    return pages


@pytest.mark.django_db
def test_cached_renders_equal_full_renders_for_every_page_and_audience(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = personalized_urls()
    assert {"/", "/about/", "/contact/"} <= set(urls)
    everyone = [(None, None), *audiences()]
    with monkeypatch.context() as uncached:
        for block in persx_blocks.PERSONALIZABLE_BLOCKS.values():
            uncached.setattr(block, "fragment_cacheable", False)
        full = render_all(everyone, urls)
    fragments.clear()
    # Visitors share fragments (generic blocks, one industry's persona variants fall back
    # to the industry's), so this pass renders from the cache both on misses and on hits.
    cached = render_all(everyone, urls)
    assert fragments.misses > 0
    assert fragments.hits > 0
    assert cached.keys() == full.keys()
    for key, html in full.items():
        assert cached[key] == html, f"cached render differs: {key}"


@pytest.mark.django_db
def test_no_visitor_ever_gets_another_visitors_variant_after_caching() -> None:
    urls = ["/", "/about/", "/contact/"]
    # Interleaved so each visitor's page follows another visitor's page of the same URL.
    sequence = [(s, None) for s in INDUSTRIES] + [(None, None)] + [(s, None) for s in INDUSTRIES]
    seen_personalized = set()
    for industry, persona in sequence:
        client = visitor(industry, persona)
        for url in urls:
            served = {variant for _, variant in variants(client.get(url).content)}
            assert served <= own_variants(industry, persona), (industry, url, served)
            seen_personalized |= served - {"generic"}
    assert {f"industry:{s}" for s in INDUSTRIES} <= seen_personalized


@pytest.mark.django_db
def test_cached_fragments_hold_no_csrf_token_and_no_request_data() -> None:
    fragments.clear()
    for industry in INDUSTRIES[:2]:
        for url in personalized_urls():
            visitor(industry).get(url + "?sent=1&marker=visitor-secret")
    assert len(fragments) > 0
    for _template, html in fragments.entries():
        assert "csrf" not in html.lower()
        assert "visitor-secret" not in html
        assert "sent=1" not in html


@pytest.mark.django_db
def test_a_published_revision_is_served_at_once() -> None:
    client = visitor("healthcare")
    before = client.get("/contact/").content.decode()
    page = StandardPage.objects.get(slug="contact")
    raw = page.body.raw_data
    hero = next(b for b in raw if b["type"] == "hero")
    variant = next(
        v for v in hero["value"]["variants"] if v["value"]["audience"] == "industry:healthcare"
    )
    old = escape(variant["value"]["content"]["headline"])
    assert old in before
    variant["value"]["content"]["headline"] = "A freshly published healthcare headline"
    page.body = raw
    page.save_revision().publish()
    after = client.get("/contact/").content.decode()
    assert "A freshly published healthcare headline" in after
    assert old not in after


@pytest.mark.django_db
def test_unpublished_moved_and_restricted_pages_route_at_once() -> None:
    client = visitor("saas")
    about = StandardPage.objects.get(slug="about")
    assert client.get("/about/").status_code == 200
    assert live_page("/home/about/") is not None

    about.slug = "about-us"
    about.save_revision().publish()
    assert client.get("/about/").status_code == 404
    assert client.get("/about-us/").status_code == 200

    PageViewRestriction.objects.create(page=about, restriction_type=PageViewRestriction.LOGIN)
    response = client.get("/about-us/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
    PageViewRestriction.objects.filter(page=about).delete()
    assert client.get("/about-us/").status_code == 200

    about.unpublish()
    assert client.get("/about-us/").status_code == 404


@pytest.mark.django_db
def test_routing_a_page_needs_no_page_queries_once_cached() -> None:
    client = visitor("travel")
    client.get("/contact/")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/contact/").status_code == 200
    tables = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "wagtailcore_pageviewrestriction" not in tables
    assert "persx_content_standardpage" not in tables


def test_fragment_cache_is_bounded_and_found_only_through_the_same_object() -> None:
    cache = FragmentCache(max_entries=2)
    renders: list[str] = []

    def render(text: str) -> str:
        renders.append(text)
        return text

    first, equal = {"headline": "A"}, {"headline": "A"}
    assert cache.get_or_render("t", first, "generic", lambda: render("one")) == "one"
    assert cache.get_or_render("t", first, "generic", lambda: render("again")) == "one"
    # An equal but different object (another revision's value) is rendered anew.
    assert cache.get_or_render("t", equal, "generic", lambda: render("two")) == "two"
    # Another variant key of the same content is another fragment.
    assert cache.get_or_render("t", first, "industry:saas", lambda: render("three")) == "three"
    assert len(cache) == 2
    assert renders == ["one", "two", "three"]
    assert (cache.hits, cache.misses) == (1, 3)


def test_fragment_cache_evicts_the_least_recently_used() -> None:
    cache = FragmentCache(max_entries=2)
    a, b, c = {"headline": "A"}, {"headline": "B"}, {"headline": "C"}
    cache.get_or_render("t", a, "generic", lambda: "a")
    cache.get_or_render("t", b, "generic", lambda: "b")
    cache.get_or_render("t", a, "generic", lambda: "a again")  # a is now the most recent
    cache.get_or_render("t", c, "generic", lambda: "c")  # so b goes
    assert cache.get_or_render("t", a, "generic", lambda: "a anew") == "a"
    assert cache.get_or_render("t", b, "generic", lambda: "b anew") == "b anew"


def test_many_distinct_fragments_stay_within_the_bound() -> None:
    """The attack: an endless stream of distinct content (revisions, previews) never grows
    the cache past its bound, and the newest entries are the ones kept."""
    cache = FragmentCache(max_entries=64)
    contents = [{"headline": str(n)} for n in range(64 * 20)]
    for content in contents:
        cache.get_or_render("t", content, "generic", lambda: "html")
        assert len(cache) <= 64
    assert len(cache) == 64
    assert {html for _, html in cache.entries()} == {"html"}
    newest = contents[-1]
    assert cache.get_or_render("t", newest, "generic", lambda: "rendered again") == "html"


def test_block_conversions_stay_within_the_bound_and_keep_the_recently_used() -> None:
    hero = persx_blocks.HeroBlock()
    bound = hero.converted_cache_size

    def raw(n: int) -> dict[str, object]:
        base = {"headline": f"Headline {n}", "cta_label": "Go", "cta_url": "/start/"}
        return {"base": base, "variants": []}

    kept = hero.bulk_to_python([raw(0)])[0]
    for n in range(1, bound * 10):
        hero.bulk_to_python([raw(n)])
        assert len(hero._converted) <= bound
        # A value served on every page view stays converted (least recently used goes).
        assert hero.bulk_to_python([raw(0)])[0] is kept
    assert len(hero._converted) == bound


@pytest.mark.django_db
def test_every_demo_page_stays_cached_after_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The largest legitimate use: every block value of every live page, and every fragment
    of every page for every audience, fits in the caches at once (a second pass converts and
    renders nothing)."""
    conversions: list[str] = []
    convert = persx_blocks.blocks.StructBlock.bulk_to_python

    def counted(block: object, values: object) -> object:
        if isinstance(block, persx_blocks.PersonalizableBlock):
            conversions.append(block.block_type)
        return convert(block, values)

    monkeypatch.setattr(persx_blocks.blocks.StructBlock, "bulk_to_python", counted)
    for page in live_pages():  # start cold: earlier tests in this process filled them
        for name in page.streamfield_names:
            stream_block = type(page)._meta.get_field(name).stream_block
            for block in stream_block.child_blocks.values():
                if isinstance(block, persx_blocks.PersonalizableBlock):
                    block._converted.clear()
    first = [(type(b), v) for page in live_pages() for b, v in served_blocks(page)]
    assert first
    assert conversions
    conversions.clear()
    again = [(type(b), v) for page in live_pages() for b, v in served_blocks(page)]
    assert conversions == []  # every value came from the cache: the same objects
    assert all(a is b for (_, a), (_, b) in zip(again, first, strict=True))

    everyone = [(None, None), *audiences()]
    fragments.clear()
    render_all(everyone, personalized_urls())
    misses = fragments.misses
    assert 0 < len(fragments) < MAX_ENTRIES // 4
    render_all(everyone, personalized_urls())
    assert fragments.misses == misses
