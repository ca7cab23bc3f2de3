"""The decisions of ``POST /api/decisions``: the same functions a page view runs.

A page's blocks are decided in one pass by :func:`persx.content.page_personalization.
decide_page_blocks` (what ``PersonalizedPage.serve`` calls), then each block asks its own
``get_context`` (what its template reads when the page renders): so the visitor gets the
decision the rendered page would show, with its reason and experiment arm. The chosen
content is the block's own schema (``get_api_representation`` of its content block).
Exposures go to the same batching writer as a page view's (one ``PageRender`` per page:
one page_view + one exposure per block), under the same consent rule.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.http import HttpRequest
from django.utils import timezone

from persx.content.page_personalization import decide_page_blocks, served_children
from persx.engine.deciding.decision import Decision, ServedBlock
from persx.events import exposure_writer
from persx.events.services import may_store_for, visitor_columns
from persx.personalization.context import PersonalizationContext, PersonalizedRequest


@dataclass(frozen=True, slots=True)
class PageTarget:
    """A page to decide, and which of its blocks to answer (None: all of them)."""

    page: Any
    url: str  # the page's URL path on the site ("/contact/"), as a page view records it
    block_ids: Collection[str] | None = None


@dataclass(frozen=True, slots=True)
class BlockDecision:
    key: str  # "<page id>:<block id>"
    page_url: str
    block_type: str
    decision: Decision
    content: Any  # the chosen content in the block's schema (JSON-ready)


def block_key(page_id: object, block_id: str) -> str:
    return f"{page_id}:{block_id}"


def decide(
    request: HttpRequest, context: PersonalizationContext, targets: Sequence[PageTarget]
) -> list[tuple[PageTarget, list[BlockDecision]]]:
    """Each target page's block decisions for the visitor of ``context``, in page order."""
    cast(PersonalizedRequest, request).persx = context  # what the blocks read, as on a page
    answered = []
    for target in targets:
        decide_page_blocks(request, target.page)
        parent = {"request": request, "page": target.page}
        blocks = []
        for block_id, block, value in served_children(target.page):
            if target.block_ids is not None and block_id not in target.block_ids:
                continue
            rendered = block.get_context(value, parent_context=parent)
            content = block.child_blocks["base"].get_api_representation(
                rendered["content"], rendered
            )
            blocks.append(
                BlockDecision(
                    block_key(target.page.pk, block_id),
                    target.url,
                    block.block_type,
                    rendered["decision"],
                    content,
                )
            )
        answered.append((target, blocks))
    return answered


def may_record(context: PersonalizationContext) -> bool:
    """A page view's rule: a real (not previewed) profiled visitor whose consent allows it."""
    profile = context.profile
    return profile is not None and context.preview is None and may_store_for(profile)


def record(
    context: PersonalizationContext, decided: Sequence[tuple[PageTarget, list[BlockDecision]]]
) -> bool:
    """Queue one page view + the exposures of each decided page; False when not allowed."""
    if not may_record(context):
        return False
    profile = context.profile
    now = timezone.now()
    for target, blocks in decided:
        exposure_writer.submit(
            exposure_writer.PageRender(
                visitor=visitor_columns(profile),
                page=target.url,
                occurred_at=now,
                served=tuple(ServedBlock(b.block_type, b.decision) for b in blocks),
            )
        )
    return True
