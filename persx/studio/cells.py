"""A matrix cell named in a request (page, block, audience), checked: the one parser the
studio's cell actions share. A bad value raises :class:`BadCell` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wagtail.models import Page

from persx.catalog.repository import current_catalog
from persx.content.inventory import stored_blocks
from persx.content.models import PersonalizedPage


class BadCell(Exception):
    """The message starts with the field: ``audience: unknown audience 'x'``."""


@dataclass(frozen=True, slots=True)
class CellRef:
    page: PersonalizedPage
    block_id: str
    block_type: str
    audience: str


def cell_from(data: Mapping[str, str]) -> CellRef:
    raw_page = (data.get("page") or "").strip()
    if not raw_page.isdigit():
        raise BadCell("page: expected a page id")
    found = Page.objects.filter(pk=int(raw_page)).first()
    page = found.specific if found is not None else None
    if not isinstance(page, PersonalizedPage) or not page.live:
        raise BadCell(f"page: no live personalizable page {raw_page}")
    block_id = (data.get("block") or "").strip()
    block = next((b for b in stored_blocks([page]) if b.block_id == block_id), None)
    if block is None:
        raise BadCell(f"block: the page has no personalizable block '{block_id}'")
    audience = (data.get("audience") or "").strip()
    if not current_catalog().is_valid_audience(audience):
        raise BadCell(f"audience: unknown audience '{audience}'")
    return CellRef(page, block_id, block.block_type, audience)
