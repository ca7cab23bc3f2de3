"""SQLite connection settings changed for the length of a block, then put back.

On SQLite some work wants a different ``PRAGMA`` for a while (an event write wants
``synchronous = FULL`` for a durable commit, a rollup wants a large page cache); the
connection is shared by everything else the process does, so the old value is restored
afterwards, also when the block raises. On any other database this does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def sqlite_pragma(name: str, value: int | str) -> Iterator[None]:
    """``PRAGMA name = value`` on this thread's SQLite connection inside the block.

    ``name`` and ``value`` are put into the SQL text (PRAGMA takes no parameters): pass
    constants only. Some pragmas cannot change inside a transaction (``synchronous``):
    callers check ``connection.in_atomic_block`` for those.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        row = cursor.fetchone()
        previous = row[0] if row else None
        cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        if previous is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA {name} = {previous}")
