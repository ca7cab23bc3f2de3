"""What can be decided: the default site's live pages (without view restrictions) and their
personalizable blocks. ``GET /api/decisions`` answers it (apps find block keys there) and
the OpenAPI document lists it as the choices ``POST`` takes."""

from __future__ import annotations

from typing import Any

from wagtail.models import Page, Site

from persx.content import routing
from persx.content.page_personalization import served_children
from persx.headless.decisions import block_key

MAX_LISTED_PAGES = 200


def live_pages() -> list[tuple[str, Any]]:
    """``(URL path, page)`` of the default site's live pages without view restrictions."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return []
    root = site.root_page.url_path
    url_paths = (
        Page.objects.live()
        .filter(url_path__startswith=root)
        .order_by("path")
        .values_list("url_path", flat=True)[:MAX_LISTED_PAGES]
    )
    found = []
    for url_path in url_paths:
        page = routing.live_page(url_path)
        if page is not None and not routing.has_view_restrictions(page.path):
            found.append(("/" + url_path.removeprefix(root), page))
    return found


def directory() -> list[dict[str, Any]]:
    """Each live page with personalizable blocks: its path, id, title and blocks."""
    listed = []
    for url, page in live_pages():
        blocks = [
            {"key": block_key(page.pk, block_id), "type": block.block_type}
            for block_id, block, _value in served_children(page)
        ]
        if blocks:
            listed.append({"page": url, "id": page.pk, "title": page.title, "blocks": blocks})
    return listed
