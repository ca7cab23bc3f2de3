"""In-process snapshots of rarely changing data (catalog, content indexes).

The request path must not query the database for these, so each process keeps one
immutable snapshot, rebuilt after ``PERSX["CACHE_TTL_SECONDS"]`` or as soon as a save in
this process invalidates it (publish/save signals). The TTL bounds how stale another app
server behind the load balancer can be.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from persx.config import config

T = TypeVar("T")


class Snapshot(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._built_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        ttl = config().cache_ttl_seconds
        if value is not None and time.monotonic() - self._built_at < ttl:
            return value
        with self._lock:
            if self._value is None or time.monotonic() - self._built_at >= ttl:
                self._value = self._build()
                self._built_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
