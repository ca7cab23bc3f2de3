"""Test settings: fast hashing, quiet logs; DATABASE_URL/REDIS_URL still honoured."""

import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import CACHES, INSTALLED_APPS, LOGGING, PERSX, REDIS_URL

# A personalizable page type the site does not have, for the content inventory's test
# (tests/page_types, tests/web/test_inventory.py); its own migration, test settings only.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.page_types"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["loggers"]["persx"]["level"] = "WARNING"  # type: ignore[index]
PERSX = {
    **PERSX,
    # Random visitor ids must not land in the global holdout by chance: tests that are about
    # the holdout switch it on explicitly.
    "HOLDOUT_SHARE": float(os.environ.get("PERSX_HOLDOUT_SHARE", "0.0")),
    # The exposure writer's thread is off: tests share one connection inside a transaction
    # and call exposure_writer.flush(). A real server on these settings (the browser tests'
    # runserver) switches it on with PERSX_EVENTS_WRITER_THREAD=on.
    "EVENTS_WRITER_THREAD": os.environ.get("PERSX_EVENTS_WRITER_THREAD", "off") == "on",
    # A page's decisions get a minute, not production's 25 ms: on a loaded machine a test
    # about something else must not see `timeout` instead of its own reason. The budget's
    # own tests use a fake clock (tests/engine/test_decision_budget.py, test_page_budget.py)
    # or set it explicitly.
    "DECISION_BUDGET_MS": 60_000.0,
    # Tests about other things measure without a consent click (opt_out); the consent tests
    # set the mode they are about (tests/web/test_consent.py, tests/browser/test_consent.py).
    "CONSENT_MODE": os.environ.get("PERSX_CONSENT_MODE", "opt_out"),
    # Every test client is 127.0.0.1: per-address limits would count the whole session's
    # requests together. Off here; the tests about them switch them on (settings or env).
    "EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_EVENTS_RATE_LIMIT_PER_ADDRESS", "0")
    ),
    "PROFILE_WRITES_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_PROFILE_WRITES_PER_ADDRESS", "0")
    ),
}


# `make test` runs the PostgreSQL + Redis pass in several processes (pytest-xdist): each has
# its own test database (pytest-django adds the worker's suffix) and here its own Redis
# database, the next numbers after REDIS_URL's (gw0 keeps it, gw1 takes +1, ...), so one
# process's cache.clear() (FLUSHDB) never empties another's rate-limit counters.
def redis_url_for_worker(url: str, worker: int) -> str:
    """``url`` with its database number moved on by ``worker`` (no number: database 0)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + worker
    return urlunsplit(parts._replace(path=f"/{database}"))


_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _XDIST_WORKER.startswith("gw"):
    CACHES["default"]["LOCATION"] = redis_url_for_worker(REDIS_URL, int(_XDIST_WORKER[2:]))
