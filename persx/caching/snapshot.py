"""In-process snapshots of rarely changing data (catalog, content indexes).

The request path must not query the database for these, so each process keeps one
immutable snapshot. It is rebuilt when:

- an editor's change in this process invalidates it (publish/save signals), or
- another app server invalidated it: ``invalidate()`` also bumps a generation number in
  the shared Django cache (Redis in production), which every process checks at most once
  per ``CHECK_INTERVAL`` seconds, or
- ``PERSX["CACHE_TTL_SECONDS"]`` passed (a backstop if the shared cache is unavailable).

When a rebuild fails (the database is unreachable) and the process has a copy, it keeps
serving that copy and tries again after ``RETRY_AFTER_FAILURE`` seconds: stale content
beats no page. Without a copy (or after ``invalidate()``) the error propagates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache

from persx.config import config

T = TypeVar("T")
logger = logging.getLogger("persx.caching")

CHECK_INTERVAL = 1.0
RETRY_AFTER_FAILURE = 5.0


class Snapshot(Generic[T]):
    def __init__(
        self, name: str, build: Callable[[], T], clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``clock`` is a monotonic clock in seconds (tests pass a fake one to step the TTL)."""
        self.name = name
        self._build = build
        self._clock = clock
        self._value: T | None = None
        self._built_at = 0.0
        self._generation: int | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    @property
    def _key(self) -> str:
        return f"persx:snapshot-generation:{self.name}"

    def _shared_generation(self) -> int | None:
        try:
            value = cache.get(self._key)
        except Exception:  # the shared cache is an optimisation; the TTL still bounds staleness
            logger.warning("shared cache unavailable for snapshot %s", self.name, exc_info=True)
            return self._generation
        return int(value) if value is not None else 0

    def _fresh(self, now: float) -> bool:
        if self._value is None or now - self._built_at >= config().cache_ttl_seconds:
            return False
        if now - self._checked_at < CHECK_INTERVAL:
            return True
        # Only a check that found the copy current counts as "checked": ``get`` asks again
        # under its lock, and that second ask must see the new generation too (recording a
        # failed check here once kept every other process's copy until the TTL).
        if self._shared_generation() != self._generation:
            return False
        self._checked_at = now
        return True

    def get(self) -> T:
        value = self._value
        if value is not None and self._fresh(self._clock()):
            return value
        with self._lock:
            now = self._clock()
            if self._value is None or not self._fresh(now):
                generation = self._shared_generation()
                try:
                    built = self._build()
                except Exception:
                    if self._value is None:
                        raise
                    logger.warning(
                        "snapshot %s could not be rebuilt; serving the previous copy",
                        self.name,
                        exc_info=True,
                    )
                    # Try again in a few seconds, not on every request.
                    self._built_at = now - config().cache_ttl_seconds + RETRY_AFTER_FAILURE
                    self._checked_at = now
                    return self._value
                self._value = built
                self._built_at = self._checked_at = now
                self._generation = generation
            return self._value

    def invalidate(self) -> None:
        """Drop this process's copy and tell the other processes to drop theirs."""
        with self._lock:
            self._value = None
        try:
            cache.add(self._key, 0, timeout=None)
            cache.incr(self._key)
        except Exception:
            logger.warning("could not publish invalidation of %s", self.name, exc_info=True)
