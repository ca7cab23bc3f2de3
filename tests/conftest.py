"""Suite-wide rules.

- Property tests are derandomized so a CI run is reproducible: Hypothesis still explores its
  usual examples, but from a fixed seed, so a failure seen once is seen every time (set
  HYPOTHESIS_PROFILE=explore for fresh random examples locally).
- Under CI=true no test may skip (tests/ci.py): a skip is reported as a failure.
- Tests marked ``postgresql`` are deselected, not skipped, when the database is not
  PostgreSQL, and tests marked ``redis`` when the cache is not Redis (no REDIS_URL):
  `make test` runs them in its PostgreSQL + Redis pass.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest
from hypothesis import settings

from tests.ci import in_ci

# No per-example deadline: CI shares two cores with other work, and a property test is about
# correctness, not speed (a slow example is not a failing one).
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_POSTGRESQL_ONLY = pytest.StashKey[int]()


def _database_is_postgresql() -> bool:
    from django.conf import settings as django_settings

    return "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


def _cache_is_redis() -> bool:
    from django.conf import settings as django_settings

    return "redis" in django_settings.CACHES["default"]["BACKEND"].lower()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = [
        marker
        for marker, present in (
            ("postgresql", _database_is_postgresql()),
            ("redis", _cache_is_redis()),
        )
        if not present
    ]
    if not missing:
        return
    deselected = [item for item in items if any(item.get_closest_marker(m) for m in missing)]
    if deselected:
        dropped = set(map(id, deselected))
        items[:] = [item for item in items if id(item) not in dropped]
        config.hook.pytest_deselected(items=deselected)
        config.stash[_POSTGRESQL_ONLY] = len(deselected)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true allows no skipped test, and this one skipped: {reason}"
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    count = terminalreporter.config.stash.get(_POSTGRESQL_ONLY, 0)
    if count:
        terminalreporter.write_line(
            f"{count} PostgreSQL/Redis-only test(s) deselected on these services: "
            "`make test` runs them in its PostgreSQL + Redis pass.",
            yellow=True,
        )
