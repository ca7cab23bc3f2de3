"""Rendered HTML of personalizable blocks, cached per process (a bounded LRU).

A block's HTML is a pure function of its template, the content chosen for the visitor (the
base or one variant) and the variant key, as long as the template reads nothing else. So
the cache key is (template, the chosen content, variant key), and the chosen content is
identified by the object itself: StreamField JSON is converted to block values once per
process per distinct value (``PersonalizableBlock.bulk_to_python``), so the same published
revision yields the same content objects on every page view, and a new revision yields
new ones. That is the invalidation: nothing stale can be hit, because an entry is found
only through the very object it was rendered from (an entry holds a reference to it, so
its ``id`` cannot be reused while the entry lives); old revisions' entries age out.

Only visitor-independent blocks are cached (``PersonalizableBlock.fragment_cacheable``),
and a cached fragment is rendered from a context holding nothing but ``content``,
``variant_key`` and ``block_type``: no request, no user, no CSRF token. A template that
starts reading anything else renders it empty here, and the equality test (cached render
== full-context render, for every page and audience) fails.

Per process rather than in Redis: a hit costs a dict lookup instead of a network round
trip, and the content objects that identify entries live in this process anyway. The
bound and the eviction order are cachetools' ``LRUCache``; it is not thread-safe by
itself, and the cache is shared by a worker's threads, so every access holds a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from django.template.loader import render_to_string

MAX_ENTRIES = 2048

_Key = tuple[str, int, str]


class FragmentCache:
    """A thread-safe LRU of rendered fragments keyed by the identity of their content."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: LRUCache[_Key, tuple[Any, str]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_render(
        self, template: str, content: Any, variant_key: str, render: Callable[[], str]
    ) -> str:
        key = (template, id(content), variant_key)
        with self._lock:
            found = self._entries.get(key)  # a hit makes the entry the most recently used
            if found is not None and found[0] is content:
                self.hits += 1
                return found[1]
        html = render()  # outside the lock: two threads may render the same entry once each
        with self._lock:
            self.misses += 1
            self._entries[key] = (content, html)  # evicts the least recently used past the bound
        return html

    def entries(self) -> list[tuple[str, str]]:
        """(template, HTML) of every cached fragment."""
        with self._lock:
            return [(key[0], html) for key, (_, html) in self._entries.items()]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


fragments = FragmentCache()


def render_fragment(template: str, content: Any, variant_key: str, block_type: str) -> str:
    """The block's HTML from its visitor-independent context, cached."""

    def render() -> str:
        return render_to_string(
            template, {"content": content, "variant_key": variant_key, "block_type": block_type}
        )

    return fragments.get_or_render(template, content, variant_key, render)
