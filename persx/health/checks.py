"""What "ready" means: the database answers and the shared cache answers.

Each check is one round trip (``SELECT 1``; a Redis ``PING``), cheap enough for a load
balancer to poll every second. A failure names the part and the kind of error, not its
message (which can carry hosts and credentials).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    ping: Callable[[], None] | None = getattr(cache, "ping", None)
    if ping is not None:  # Redis: the degrading backend hides errors, so ask it directly
        ping()
    else:  # in-process caches are always there; still exercise a round trip
        cache.set("persx:health", 1, 5)


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache}


def failing_parts() -> dict[str, str]:
    """``{part: error kind}`` for every check that failed (empty when ready)."""
    failures: dict[str, str] = {}
    for part, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            failures[part] = type(exc).__name__
    return failures
