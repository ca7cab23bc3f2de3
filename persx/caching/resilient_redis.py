"""Django's Redis cache, made to degrade instead of failing the request.

The cache is an optimisation everywhere PersX uses it (snapshot invalidation falls back to
its TTL, Wagtail's lookups to the database, the events rate limit fails open), so with
Redis unreachable a read misses, a write is skipped and a counter answers as if it had just
started; a warning is logged at most once a minute per process. Connection and read
timeouts (``OPTIONS`` in settings) bound how long a stalled Redis can hold a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("persx.caching")

T = TypeVar("T")
WARN_EVERY_S = 60.0
UNAVAILABLE = (RedisError, OSError)


class ResilientRedisCache(RedisCache):
    _last_warning = 0.0

    def ping(self) -> None:
        """Raise unless Redis answers (readiness checks: everything else degrades)."""
        self._cache.get_client(write=True).ping()

    def _degrade(self, operation: str, call: Callable[[], T], fallback: T) -> T:
        try:
            return call()
        except UNAVAILABLE as exc:
            now = time.monotonic()
            if now - ResilientRedisCache._last_warning >= WARN_EVERY_S:
                ResilientRedisCache._last_warning = now
                logger.warning("cache unavailable (%s: %s); degrading", operation, exc)
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._degrade(
            "get", lambda: super(ResilientRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._degrade(
            "get_many", lambda: super(ResilientRedisCache, self).get_many(keys, version), {}
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._degrade(
            "has_key", lambda: super(ResilientRedisCache, self).has_key(key, version), False
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._degrade(
            "set", lambda: super(ResilientRedisCache, self).set(key, value, timeout, version), None
        )

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._degrade(
            "add", lambda: super(ResilientRedisCache, self).add(key, value, timeout, version), False
        )

    def set_many(
        self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._degrade(
            "set_many",
            lambda: super(ResilientRedisCache, self).set_many(data, timeout, version),
            [],
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._degrade(
            "touch", lambda: super(ResilientRedisCache, self).touch(key, timeout, version), False
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._degrade(
            "delete", lambda: super(ResilientRedisCache, self).delete(key, version), False
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._degrade(
            "delete_many", lambda: super(ResilientRedisCache, self).delete_many(keys, version), None
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        # A counter nobody can read starts again: the caller sees its first increment.
        return self._degrade(
            "incr", lambda: super(ResilientRedisCache, self).incr(key, delta, version), delta
        )

    def clear(self) -> None:
        self._degrade("clear", lambda: super(ResilientRedisCache, self).clear(), None)
