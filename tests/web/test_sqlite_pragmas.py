"""A PRAGMA changed for a block is put back afterwards, also when the block fails."""

from __future__ import annotations

import pytest
from django.db import connection

from persx.events.sqlite_pragmas import sqlite_pragma


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_pragma_holds_inside_the_block_and_is_restored_after() -> None:
    if connection.vendor != "sqlite":
        with sqlite_pragma("cache_size", -4321):  # a no-op elsewhere
            pass
        return
    before = _cache_size()
    assert before != -4321
    with sqlite_pragma("cache_size", -4321):
        assert _cache_size() == -4321
    assert _cache_size() == before
    with pytest.raises(RuntimeError), sqlite_pragma("cache_size", -4321):
        raise RuntimeError("the block failed")
    assert _cache_size() == before
