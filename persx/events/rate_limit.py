"""Per-client fixed-window rate limit for ``POST /api/events``, counted in the Django cache.

In production the cache is Redis, so every app server shares the counters; ``cache.add``
creates a window's counter once and ``cache.incr`` is atomic. A client is the remote
address plus the visitor id of the profile cookie (anonymous visitors: the address alone).
Behind a proxy, ``REMOTE_ADDR`` must be the client's address (set by the proxy layer).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_S = 60
DEFAULT_BATCHES_PER_WINDOW = 60


def batches_per_window() -> int:
    """``PERSX["EVENTS_RATE_LIMIT_PER_MINUTE"]``, default 60 batches a minute per client."""
    raw: dict[str, Any] = settings.PERSX
    return int(raw.get("EVENTS_RATE_LIMIT_PER_MINUTE", DEFAULT_BATCHES_PER_WINDOW))


def client_key(request: HttpRequest, visitor_id: str) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.blake2s(f"{address}|{visitor_id}".encode(), digest_size=12).hexdigest()
    return f"persx:events-rate:{digest}"


def over_limit(key: str, limit: int, now: float | None = None) -> int | None:
    """Count one batch for ``key``; seconds until the window resets when over ``limit``."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    counter = f"{key}:{window}"
    cache.add(counter, 0, timeout=WINDOW_S + 5)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add and incr
        cache.set(counter, 1, timeout=WINDOW_S + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil((window + 1) * WINDOW_S - now))
    return None
