"""Tombstones: erased visitor ids, kept as keyed hashes, and the lock that closes the race.

The key: ``salted_hmac`` (HMAC-SHA256) with Django's ``SECRET_KEY`` and a fixed salt, so the
table holds no visitor id, and without the key nobody can test a guessed id against it (the
ids are 128-bit random anyway). Rotating ``SECRET_KEY`` orphans the tombstones, which is
harmless: the signed profile cookies that carry those ids stop verifying at the same moment.

The race (issue 11, finding 1): a page view queued in an exposure writer (another thread or
process) can be inserted after the erasure deleted that visitor's events. Writers of events
check the tombstones inside their transaction while holding :func:`event_write_guard`
(shared); the erasure holds it exclusively while it writes the tombstone and deletes. On
PostgreSQL that is a transaction-scoped advisory lock: an erasure waits for the event writes
in flight to commit (so it deletes their rows), and a write that starts later sees the
tombstone. SQLite has a single writer per database: the same order holds without a lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils.crypto import salted_hmac

from persx.privacy.models import ErasedVisitor

SALT = "persx.privacy.tombstone.v1"
# pg_advisory_xact_lock key: "PXER" as an integer (an arbitrary constant of this app).
LOCK_KEY = 0x50584552


def tombstone_key(visitor_id: str) -> str:
    return salted_hmac(SALT, visitor_id, algorithm="sha256").hexdigest()


def event_write_guard(*, exclusive: bool) -> None:
    """Take the erasure lock for the rest of the current transaction (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [LOCK_KEY])


def erased_among(visitor_ids: Iterable[str]) -> set[str]:
    """The ids among ``visitor_ids`` that were erased (one indexed query)."""
    by_key = {tombstone_key(v): v for v in set(visitor_ids) if v}
    if not by_key:
        return set()
    found = ErasedVisitor.objects.filter(key__in=by_key).values_list("key", flat=True)
    return {by_key[k] for k in found}
