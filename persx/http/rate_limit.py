"""Fixed-window rate limits counted in the Django cache, shared by every worker and server.

In production the cache is Redis, so every process of every app server counts in the same
place; ``cache.add`` creates a window's counter once and ``cache.incr`` is atomic. A limit
is a *scope* (what is limited, e.g. ``events-address``) and a *subject* (who: a client
address, a visitor); only a digest of the subject is stored. With Redis down the resilient
cache answers misses, so limits stop counting rather than refusing everyone.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.core.cache import cache
from django.http import HttpRequest

from persx.http.client_address import rate_limit_subject

WINDOW_S = 60


class RateLimited(Exception):
    """Raised by API operations; answered 429 with ``Retry-After`` (persx.http.errors)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def counter_key(scope: str, subject: str) -> str:
    digest = hashlib.blake2s(subject.encode(), digest_size=12).hexdigest()
    return f"persx:rate:{scope}:{digest}"


def over_limit(key: str, limit: int, now: float | None = None) -> int | None:
    """Count one request for ``key``; seconds until the window resets when over ``limit``."""
    if limit <= 0:
        return None
    now = time.time() if now is None else now
    window = int(now // WINDOW_S)
    counter = f"{key}:{window}"
    cache.add(counter, 0, timeout=WINDOW_S + 5)
    try:
        count = cache.incr(counter)
    except ValueError:  # evicted between add and incr (or the cache is down)
        cache.set(counter, 1, timeout=WINDOW_S + 5)
        count = 1
    if count > limit:
        return max(1, math.ceil((window + 1) * WINDOW_S - now))
    return None


def address_over_limit(request: HttpRequest, scope: str, limit: int) -> int | None:
    """Count one request of ``scope`` from the request's client address (see
    ``persx.http.client_address``); seconds to wait when over ``limit`` a minute."""
    return over_limit(counter_key(scope, rate_limit_subject(request)), limit)
