"""Which pages and blocks a decision request names: a live page by URL path or id, and
block keys ``"<page id>:<block id>"``. Pages come from the process's route table (no SQL
once a page has been served); what is not a live, unrestricted page is a 404 naming the
field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.http.request import split_domain_port
from wagtail.models import Page

from persx.content import routing
from persx.content.page_personalization import served_children
from persx.headless.decisions import PageTarget
from persx.http.errors import FieldError


def _site_root(request: HttpRequest) -> str:
    """The URL path of the root page of the site this request is for ("/home/")."""
    typed: Any = request
    hostname = split_domain_port(typed._get_raw_host())[0]  # as Wagtail (and content.views)
    site = routing.site_for(hostname, int(request.get_port()))
    if site is None:
        raise FieldError("page", "no site answers this host", status=404)
    return str(site.root_page.url_path)


def _page_at(root: str, path: str) -> Any | None:
    if not path.startswith("/"):
        return None
    path = path if path.endswith("/") else path + "/"
    page = routing.live_page(root + path.lstrip("/"))
    if page is None or routing.has_view_restrictions(page.path):
        return None
    return page


def _page_by_id(root: str, page_id: int) -> Any | None:
    url_path = Page.objects.live().filter(pk=page_id).values_list("url_path", flat=True).first()
    if url_path is None or not url_path.startswith(root):
        return None
    return _page_at(root, "/" + url_path.removeprefix(root))


def _url(root: str, page: Any) -> str:
    return "/" + str(page.url_path).removeprefix(root)


def resolve_targets(
    request: HttpRequest, page: str | int | None, blocks: Sequence[str] | None
) -> list[PageTarget]:
    """The pages to decide: ``page`` whole, plus the pages of ``blocks`` (only those blocks;
    a block of ``page`` itself is already answered). Raises FieldError (404) naming the
    field of a page or block that does not exist."""
    root = _site_root(request)
    targets: dict[int, PageTarget] = {}
    if page is not None:
        found = _page_by_id(root, page) if isinstance(page, int) else _page_at(root, page)
        if found is None:
            raise FieldError("page", f"no live page {page!r}", status=404)
        targets[found.pk] = PageTarget(found, _url(root, found))
    wanted: dict[int, tuple[Any, set[str]]] = {}
    for index, key in enumerate(blocks or ()):
        page_part, _, block_id = key.partition(":")
        if not page_part.isdigit() or not block_id:
            raise FieldError(f"blocks.{index}", "expected '<page id>:<block id>'")
        page_id = int(page_part)
        if page_id not in wanted:
            found = _page_by_id(root, page_id)
            if found is None:
                raise FieldError(f"blocks.{index}", f"no live page with id {page_id}", 404)
            wanted[page_id] = (found, {i for i, _b, _v in served_children(found)})
        found, known = wanted[page_id]
        if block_id not in known:
            raise FieldError(f"blocks.{index}", f"page {page_id} has no block {block_id}", 404)
        if page_id in targets and targets[page_id].block_ids is None:
            continue  # the whole page is answered already
        chosen = targets.get(page_id)
        ids = set(chosen.block_ids or ()) if chosen is not None else set()
        targets[page_id] = PageTarget(found, _url(root, found), frozenset({*ids, block_id}))
    return list(targets.values())
