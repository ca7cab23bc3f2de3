"""Decide every personalizable block of a page in one pass, before any block renders.

So a page is consistent (all its blocks decided for the visitor, or none when the budget
runs out) and the blocks' templates only look their decision up.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

# A module import: ``models`` imports this module, and ``inventory`` reads ``models``.
from persx.content import inventory
from persx.personalization.context import PageBlock, personalization_of

logger = logging.getLogger("persx.personalization")


def page_blocks(page: Any) -> list[PageBlock]:
    """The page's personalizable blocks (:func:`persx.content.inventory.served_blocks`) as
    the one-pass decision needs them."""
    return [block.page_block(value) for block, value in inventory.served_blocks(page)]


def decide_page_blocks(request: HttpRequest, page: Any) -> None:
    """Decide the page's blocks now; on any problem the blocks decide one by one instead."""
    try:
        personalization_of(request).decide_page(page_blocks(page), str(page.pk or ""))
    except Exception:
        logger.exception("page-level decisions failed; blocks decide one by one")
