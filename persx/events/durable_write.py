"""Run an event write as its own transaction: durable when it returns, retried while busy.

Durable: on PostgreSQL a commit is on disk (``synchronous_commit`` on, the default). On
SQLite the site runs WAL with ``synchronous=NORMAL``, where the last commits can be lost on
power loss; an event write switches its connection to ``synchronous=FULL`` for its own
commit (the WAL is synced before the commit returns) and back afterwards. Inside an outer
transaction the outer commit decides, and nothing is switched.

Busy: SQLite answers "database is locked" / "database table is locked" when another writer
holds the lock past the busy timeout (or at once, for shared-cache locks); PostgreSQL raises
lock timeouts, serialization failures and deadlocks. Django raises all of them as
``OperationalError``; the transaction was rolled back, so running it again is safe. Retries
are bounded (tries and total time); past that the caller answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connection, transaction

from persx.events.sqlite_pragmas import sqlite_pragma
from persx.http.row_security import visitor_rows

logger = logging.getLogger("persx.events")

T = TypeVar("T")

TRIES = 5
FIRST_DELAY_S = 0.05
MAX_TOTAL_S = 3.0
# On PostgreSQL a lock wait ends after this, so one attempt cannot hang the request.
PG_LOCK_TIMEOUT = "500ms"
RETRY_AFTER_S = 2


class DatabaseBusy(Exception):
    """The database stayed locked through every retry; ask the client to come back later."""

    def __init__(self, attempts: int, cause: Exception) -> None:
        super().__init__(f"database busy after {attempts} attempts: {cause}")
        self.attempts = attempts
        self.retry_after = RETRY_AFTER_S


@contextmanager
def _synced_commits() -> Iterator[None]:
    """SQLite: ``synchronous = FULL`` for this commit (not inside an outer transaction,
    where SQLite refuses the change and the outer commit decides)."""
    if connection.in_atomic_block:
        yield
        return
    with sqlite_pragma("synchronous", "FULL"):
        yield


def write_durably(
    write: Callable[[], T], *, tries: int = TRIES, visitor_ids: tuple[str, ...] | None = None
) -> T:
    """``write()`` inside ``transaction.atomic()``; returns once the commit is durable.

    With ``visitor_ids`` (a visitor's own write) the transaction sees only those visitors'
    rows (``persx.http.row_security.visitor_rows``: PostgreSQL row-level security).
    Raises ``DatabaseBusy`` when it could not commit within ``tries`` attempts.
    """
    started = time.monotonic()
    delay = FIRST_DELAY_S
    attempt = 0
    while True:
        attempt += 1
        try:
            scope = transaction.atomic() if visitor_ids is None else visitor_rows(*visitor_ids)
            with _synced_commits(), scope:
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT}'")
                return write()
        except OperationalError as exc:
            elapsed = time.monotonic() - started
            if attempt >= tries or elapsed + delay > MAX_TOTAL_S:
                logger.error(
                    "event write failed: database busy",
                    extra={"attempts": attempt, "error": str(exc)},
                )
                raise DatabaseBusy(attempt, exc) from exc
            logger.warning(
                "event write retried: database busy",
                extra={"attempt": attempt, "error": str(exc)},
            )
            time.sleep(delay * (0.5 + random.random()))  # jitter: writers not in step
            delay *= 2
