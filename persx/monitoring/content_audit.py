"""Coverage gaps and stale variants of the live pages, read from their StreamField JSON.

- **coverage gap**: a personalizable block of a live page with no variant for an industry
  of the catalog (that industry's visitors get the generic base there).
- **stale variant**: a variant on a page not edited (a new revision) for ``STALE_DAYS``;
  Wagtail keeps no per-variant edit time, so a page's latest revision dates its variants.

The blocks are the content inventory's (:mod:`persx.content.inventory`): one query per page
type (live pages only, raw JSON, no block conversion) and one for the revision times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from wagtail.models import Revision

from persx.catalog.repository import current_catalog
from persx.content.inventory import live_pages, stored_blocks
from persx.content.models import PersonalizedPage

STALE_DAYS = 90


@dataclass(frozen=True, slots=True)
class PersonalizedBlockInfo:
    page_id: int
    page_title: str
    page_url: str
    block_type: str
    audiences: tuple[str, ...]
    edited_at: datetime | None


def _edited_at(pages: list[PersonalizedPage]) -> dict[int, datetime | None]:
    """Each page's latest revision time (else its last publication): one query."""
    created = dict(
        Revision.objects.filter(
            pk__in=[p.latest_revision_id for p in pages if p.latest_revision_id]
        ).values_list("pk", "created_at")
    )
    return {p.pk: created.get(p.latest_revision_id) or p.last_published_at for p in pages}


@dataclass(frozen=True, slots=True)
class CoverageGap:
    block: PersonalizedBlockInfo
    missing_industries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StaleVariant:
    block: PersonalizedBlockInfo
    audience: str
    age_days: int


def personalized_blocks() -> list[PersonalizedBlockInfo]:
    """The personalizable blocks of the live pages (the content inventory), in site order."""
    pages = live_pages()
    edited = _edited_at(pages)
    return [
        PersonalizedBlockInfo(
            block.page.pk,
            block.page.title,
            block.page.url or "",
            block.block_type,
            block.audiences,
            edited[block.page.pk],
        )
        for block in stored_blocks(pages)
    ]


def coverage_gaps(blocks: list[PersonalizedBlockInfo]) -> list[CoverageGap]:
    industries = [i.slug for i in current_catalog().industries]
    gaps = []
    for block in blocks:
        missing = tuple(s for s in industries if f"industry:{s}" not in block.audiences)
        if missing:
            gaps.append(CoverageGap(block, missing))
    return gaps


def stale_variants(blocks: list[PersonalizedBlockInfo], now: datetime) -> list[StaleVariant]:
    limit = now - timedelta(days=STALE_DAYS)
    return [
        StaleVariant(block, audience, (now - block.edited_at).days)
        for block in blocks
        if block.edited_at is not None and block.edited_at < limit
        for audience in block.audiences
    ]


def coverage_share(blocks: list[PersonalizedBlockInfo]) -> float | None:
    """Share of (block × industry) cells that have a variant."""
    industries = [i.slug for i in current_catalog().industries]
    cells = len(blocks) * len(industries)
    if not cells:
        return None
    covered = sum(1 for b in blocks for s in industries if f"industry:{s}" in b.audiences)
    return covered / cells
