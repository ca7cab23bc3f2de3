"""Coverage gaps and stale variants of the live pages, read from their StreamField JSON.

- **coverage gap**: a personalizable block of a live page with no variant for an industry
  of the catalog (that industry's visitors get the generic base there).
- **stale variant**: a variant on a page not edited (a new revision) for ``STALE_DAYS``;
  Wagtail keeps no per-variant edit time, so a page's latest revision dates its variants.

One query per page type (live pages only, raw JSON, no block conversion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from persx.catalog.repository import current_catalog
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


@dataclass(frozen=True, slots=True)
class CoverageGap:
    block: PersonalizedBlockInfo
    missing_industries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StaleVariant:
    block: PersonalizedBlockInfo
    audience: str
    age_days: int


def _audiences(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, dict) or "base" not in value or "variants" not in value:
        return None
    audiences = []
    for item in value.get("variants") or ():
        inner = item.get("value", item) if isinstance(item, dict) else None
        if isinstance(inner, dict) and inner.get("audience"):
            audiences.append(str(inner["audience"]))
    return tuple(audiences)


def personalized_blocks() -> list[PersonalizedBlockInfo]:
    found = []
    for model in PersonalizedPage.__subclasses__():
        for page in model.objects.live().select_related("latest_revision").order_by("path"):
            edited = page.latest_revision.created_at if page.latest_revision else None
            for name in model.streamfield_names:
                stream = getattr(page, name, None)
                raw = getattr(stream, "raw_data", None) or []
                for block in raw:
                    audiences = _audiences(block.get("value"))
                    if audiences is not None:
                        found.append(
                            PersonalizedBlockInfo(
                                page.pk,
                                page.title,
                                page.url or "",
                                str(block.get("type", "")),
                                audiences,
                                edited or page.last_published_at,
                            )
                        )
    return found


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
