"""Cached snapshots: invalidation reaches other app servers through the shared cache.

Under ``make test`` this runs on locmem; the PostgreSQL + Redis pass runs it on Redis,
where the two Snapshot objects stand for two app servers sharing one cache.
"""

from __future__ import annotations

import itertools

import pytest

from persx.caching import snapshot
from persx.caching.snapshot import Snapshot


@pytest.fixture(autouse=True)
def check_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "CHECK_INTERVAL", 0.0)


def test_invalidation_on_one_server_rebuilds_on_the_other() -> None:
    builds = itertools.count(1)
    server_a = Snapshot("test-shared", lambda: next(builds))
    server_b = Snapshot("test-shared", lambda: next(builds))
    first_a, first_b = server_a.get(), server_b.get()
    assert (server_a.get(), server_b.get()) == (first_a, first_b)  # cached, no rebuild
    server_a.invalidate()
    rebuilt_b = server_b.get()
    assert rebuilt_b > max(first_a, first_b)
    assert server_b.get() == rebuilt_b  # and stays cached afterwards


def test_a_broken_shared_cache_degrades_to_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def get(self, *_: object) -> None:
            raise ConnectionError("cache down")

        add = incr = get

    monkeypatch.setattr(snapshot, "cache", Broken())
    built = itertools.count(1)
    shot = Snapshot("test-broken", lambda: next(built))
    assert shot.get() == 1
    assert shot.get() == 1
    shot.invalidate()  # local invalidation still works
    assert shot.get() == 2
