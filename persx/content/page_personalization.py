"""Decide every personalizable block of a page in one pass, before any block renders.

So a page is consistent (all its blocks decided for the visitor, or none when the budget
runs out) and the blocks' templates only look their decision up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest

from persx.content.blocks import PersonalizableBlock
from persx.personalization.context import PageBlock, personalization_of

logger = logging.getLogger("persx.personalization")


def served_blocks(page: Any) -> Iterator[tuple[PersonalizableBlock, Any]]:
    """``(block, value)`` of each personalizable block of ``page``, in page order, from its
    converted StreamField values (what rendering uses; no SQL). The content inventory's
    definition of a personalizable block (:mod:`persx.content.inventory`), read on the
    page path."""
    for _block_id, block, value in served_children(page):
        yield block, value


def served_children(page: Any) -> Iterator[tuple[str, PersonalizableBlock, Any]]:
    """:func:`served_blocks` with each block's StreamField id (the headless decisions API
    names blocks by it)."""
    for name in getattr(page, "streamfield_names", ()):
        for child in getattr(page, name) or ():
            if isinstance(child.block, PersonalizableBlock):
                yield str(child.id or ""), child.block, child.value


def page_blocks(page: Any) -> list[PageBlock]:
    """The page's personalizable blocks (:func:`served_blocks`) as the one-pass decision
    needs them."""
    return [block.page_block(value) for block, value in served_blocks(page)]


def decide_page_blocks(request: HttpRequest, page: Any) -> None:
    """Decide the page's blocks now; on any problem the blocks decide one by one instead."""
    try:
        personalization_of(request).decide_page(page_blocks(page), str(page.pk or ""))
    except Exception:
        logger.exception("page-level decisions failed; blocks decide one by one")
