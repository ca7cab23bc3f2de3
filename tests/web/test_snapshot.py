"""Cached snapshots: invalidation reaches other app servers through the shared cache, and the
TTL bounds staleness when nothing (or no working cache) says a copy is out of date.

Under ``make test`` this runs on locmem; the PostgreSQL + Redis pass runs it on Redis,
where the two Snapshot objects stand for two app servers sharing one cache.
"""

from __future__ import annotations

import itertools
from typing import Any

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


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_invalidation_elsewhere_is_seen_after_the_check_interval_not_the_ttl(
    monkeypatch: pytest.MonkeyPatch, ttl: float
) -> None:
    """With the real check interval: once it passes, the other server rebuilds (it used to
    record the failed check and then trust its stale copy until the TTL)."""
    monkeypatch.setattr(snapshot, "CHECK_INTERVAL", 1.0)
    clock = FakeClock()
    builds = itertools.count(1)
    server_a = Snapshot("test-interval", lambda: next(builds), clock=clock)
    server_b = Snapshot("test-interval", lambda: next(builds), clock=clock)
    first_b = server_b.get()
    server_a.invalidate()
    clock.now += 0.5
    assert server_b.get() == first_b  # inside the interval: not asked yet
    clock.now += 0.6
    rebuilt = server_b.get()
    assert rebuilt > first_b
    clock.now += 1.1
    assert server_b.get() == rebuilt  # current again: no rebuild


@pytest.fixture
def ttl(settings: Any) -> float:
    settings.PERSX = {**settings.PERSX, "CACHE_TTL_SECONDS": 60}
    return 60.0


def test_a_snapshot_is_rebuilt_once_the_ttl_passes_even_without_invalidation(ttl: float) -> None:
    clock = FakeClock()
    builds = itertools.count(1)
    shot = Snapshot("test-ttl", lambda: next(builds), clock=clock)
    assert shot.get() == 1
    clock.now += ttl - 0.001
    assert shot.get() == 1  # just inside the TTL, nobody invalidated: kept
    clock.now += 0.001
    assert shot.get() == 2  # the TTL passed: rebuilt
    assert shot.get() == 2  # and the new copy lives for a whole TTL again
    clock.now += ttl - 0.001
    assert shot.get() == 2


def test_a_broken_shared_cache_degrades_to_the_ttl(
    monkeypatch: pytest.MonkeyPatch, ttl: float
) -> None:
    class Broken:
        def get(self, *_: object) -> None:
            raise ConnectionError("cache down")

        add = incr = get

    monkeypatch.setattr(snapshot, "cache", Broken())
    clock = FakeClock()
    built = itertools.count(1)
    shot = Snapshot("test-broken", lambda: next(built), clock=clock)
    assert shot.get() == 1
    clock.now += ttl / 2
    assert shot.get() == 1  # the generation cannot be read: the copy is kept...
    clock.now += ttl / 2
    assert shot.get() == 2  # ...until the TTL bounds its staleness
    shot.invalidate()  # local invalidation still works without the shared cache
    assert shot.get() == 3
