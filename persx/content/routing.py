"""Page routing without SQL: the live pages by URL path and their view restrictions,
cached per process.

Wagtail resolves ``/contact/`` from the site's root page with two queries per path
segment (the child by slug, then its specific row) and then queries the page's and its
ancestors' view restrictions. A marketing site changes when an editor publishes, not
per request, so each process keeps a route table (a :class:`~persx.caching.snapshot.
Snapshot`: every live page's URL path → id and specific model, and the pages that carry
view restrictions) plus the specific page objects it has served. Publishing,
unpublishing, moving or deleting a page, or changing a site or a view restriction,
invalidates the table in this process and, through the shared cache's generation number,
in the others within a second (without the shared cache: after ``CACHE_TTL_SECONDS``).
A rebuilt table starts with no page objects, so a published revision is never served
stale past that.

Pages served from the table are shared by the requests (threads) of the process; they are
read-only in rendering, and their StreamField values are converted once before sharing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from persx.caching.snapshot import Snapshot

MAX_PAGES = 512


@dataclass
class RouteTable:
    # URL path ("/home/contact/") → (page id, content type id), live pages only.
    paths: Mapping[str, tuple[int, int]]
    # Tree paths (treebeard ``path``) of pages that carry a view restriction.
    restricted_paths: frozenset[str]
    # Specific page objects served since the table was built (filled on demand).
    pages: dict[int, Any] = field(default_factory=dict)
    # (hostname, port) → the Site Wagtail picks for it (filled on demand).
    sites: dict[tuple[str, int], Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def restricted(self, tree_path: str) -> bool:
        """The page at ``tree_path`` or one of its ancestors carries a view restriction."""
        return any(tree_path.startswith(p) for p in self.restricted_paths)


def _build() -> RouteTable:
    Page = apps.get_model("wagtailcore", "Page")
    PageViewRestriction = apps.get_model("wagtailcore", "PageViewRestriction")
    paths = {
        url_path: (pk, content_type_id)
        for url_path, pk, content_type_id in Page.objects.live()
        .filter(alias_of__isnull=True)
        .values_list("url_path", "pk", "content_type_id")
    }
    restricted = frozenset(
        PageViewRestriction.objects.values_list("page__path", flat=True).distinct()
    )
    return RouteTable(paths, restricted)


_table: Snapshot[RouteTable] = Snapshot("page-routes", _build)


def invalidate_routes() -> None:
    _table.invalidate()


def _warm(page: Any) -> None:
    """Convert the page's StreamField values now, before other threads share the page."""
    for name in getattr(page, "streamfield_names", ()):
        for _child in getattr(page, name) or ():
            pass


def live_page(url_path: str) -> Any | None:
    """The live specific page at ``url_path`` (None: not a live page; Wagtail decides)."""
    table = _table.get()
    found = table.paths.get(url_path)
    if found is None:
        return None
    pk, content_type_id = found
    page = table.pages.get(pk)
    if page is not None:
        return page
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None:  # a page type whose code is gone: let Wagtail handle it
        return None
    page = model._default_manager.filter(pk=pk, live=True).first()
    if page is None:
        return None
    _warm(page)
    with table.lock:
        if len(table.pages) >= MAX_PAGES:
            table.pages.clear()
        return table.pages.setdefault(pk, page)


def has_view_restrictions(tree_path: str) -> bool:
    return _table.get().restricted(tree_path)


def site_for(hostname: str, port: int) -> Any | None:
    """The Site serving ``hostname:port``, chosen by Wagtail's own rules (once per host)."""
    from wagtail.models.sites import get_site_for_hostname

    Site = apps.get_model("wagtailcore", "Site")
    table = _table.get()
    key = (hostname, port)
    if key not in table.sites:
        try:
            site = get_site_for_hostname(hostname, port)
        except Site.DoesNotExist:
            site = None
        with table.lock:
            table.sites.setdefault(key, site)
    return table.sites[key]
