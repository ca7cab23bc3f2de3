"""The content inventory (persx/content/inventory.py) is the one list of personalizable
blocks: a page type added tomorrow is served, in the coverage matrix and in the audit.

The new page type is ``CampaignPage`` of the test-only app ``tests/page_types`` (installed
by the test settings only, with its own migration): a page type persx lists nowhere, with
its own StreamField name and its hero stored under another name (``banner``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from persx.content.inventory import live_pages, page_types, stored_blocks
from persx.content.models import BlogPostPage, HomePage, StandardPage
from persx.content.page_personalization import page_blocks, served_blocks
from persx.content.plain_shape import plain
from persx.monitoring import content_audit
from persx.studio.cell_state import CellState
from persx.studio.coverage import build_matrix
from tests.page_types.models import CampaignPage
from tests.web.conftest import INDUSTRIES, client_with_profile, variants

pytestmark = pytest.mark.django_db

HERO_BASE = {
    "eyebrow": "",
    "headline": "The spring campaign",
    "subheadline": "",
    "cta_label": "",
    "cta_url": "",
}
HERO_SAAS = {**HERO_BASE, "headline": "The spring campaign for SaaS teams"}


@pytest.fixture
def campaign() -> CampaignPage:
    sections = [
        {
            "type": "banner",
            "value": {
                "base": HERO_BASE,
                "variants": [
                    {
                        "audience": "industry:saas",
                        "content": HERO_SAAS,
                        "live_from": None,
                        "live_until": None,
                    }
                ],
            },
        },
        {"type": "text", "value": "<p>Not personalizable.</p>"},
    ]
    page = CampaignPage(title="Spring campaign", slug="spring", sections=json.dumps(sections))
    HomePage.objects.get().add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_the_inventory_lists_every_personalizable_page_type() -> None:
    assert set(page_types()) == {HomePage, StandardPage, BlogPostPage, CampaignPage}


def test_a_new_page_types_blocks_are_in_the_inventory(campaign: CampaignPage) -> None:
    found = [b for b in stored_blocks(live_pages()) if b.page.pk == campaign.pk]
    assert len(found) == 1  # the text block is not personalizable
    (block,) = found
    assert (block.field, block.block_type, block.base) == ("sections", "hero", HERO_BASE)
    assert [(v.audience, v.window, v.content) for v in block.variants] == [
        ("industry:saas", None, HERO_SAAS)
    ]
    assert [b.block_type for b in page_blocks(campaign)] == ["hero"]


def test_a_new_page_type_is_served_personalized(campaign: CampaignPage) -> None:
    saas = client_with_profile("saas").get(campaign.url)
    travel = client_with_profile("travel").get(campaign.url)
    assert saas.status_code == travel.status_code == 200
    assert variants(saas.content) == [("hero", "industry:saas")]
    assert HERO_SAAS["headline"] in saas.content.decode()
    assert variants(travel.content) == [("hero", "generic")]


def test_a_new_page_type_is_in_the_coverage_matrix(campaign: CampaignPage) -> None:
    matrix = build_matrix(underperforming=[])
    rows = [r for r in matrix.rows if r.page_id == campaign.pk]
    assert [(r.block_type, r.label) for r in rows] == [("hero", "The spring campaign")]
    states = {cell.audience: cell.state for cell in rows[0].cells}
    assert states["industry:saas"] is CellState.LIVE
    assert states["industry:travel"] is CellState.GENERIC
    assert states["persona:saas-growth-lead"] is CellState.INHERITED


def test_a_new_page_type_is_in_the_content_audit(campaign: CampaignPage) -> None:
    blocks = [b for b in content_audit.personalized_blocks() if b.page_id == campaign.pk]
    assert [(b.block_type, b.audiences) for b in blocks] == [("hero", ("industry:saas",))]
    assert blocks[0].edited_at is not None
    (gap,) = content_audit.coverage_gaps(blocks)
    assert set(gap.missing_industries) == set(INDUSTRIES) - {"saas"}


def test_the_three_readers_see_the_same_blocks_on_the_demo_site() -> None:
    """Stored JSON (studio, monitor) and converted values (page path) give the same blocks,
    in the same plain shape: one converter reads both."""
    stored = list(stored_blocks(live_pages()))
    assert len(stored) > 10
    audit = content_audit.personalized_blocks()
    assert [(b.page_id, b.block_type, b.audiences) for b in audit] == [
        (b.page.pk, b.block_type, b.audiences) for b in stored
    ]
    matrix = build_matrix(underperforming=[])
    assert [(r.page_id, r.block_id) for r in matrix.rows] == [
        (b.page.pk, b.block_id) for b in stored
    ]
    served: list[tuple[int, str, Any, list[tuple[str, Any]]]] = []
    for page in live_pages():
        for block, value in served_blocks(page):
            shape = plain(value)
            served.append(
                (
                    page.pk,
                    block.block_type,
                    shape["base"],
                    [(v["audience"], v["content"]) for v in shape["variants"]],
                )
            )
    assert served == [
        (b.page.pk, b.block_type, b.base, [(v.audience, v.content) for v in b.variants])
        for b in stored
    ]
