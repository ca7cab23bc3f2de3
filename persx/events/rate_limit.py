"""The rate limits of ``POST /api/events`` (counted by ``persx.http.rate_limit``).

Two limits, both counted for every batch: per visitor (client address + the profile
cookie's visitor id, ``EVENTS_RATE_LIMIT_PER_MINUTE``, default 60 batches a minute) and
per client address alone (``EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE``, default 600).
A new visitor id costs nothing (``?industry=`` sets a cookie without a database row), so
rotating ids escapes the first limit but not the second; the second is ten times higher
because one office behind NAT is many visitors at one address. The client address is
``REMOTE_ADDR`` unless a trusted proxy header is configured (``persx.http.client_address``).
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.config import config
from persx.http.client_address import rate_limit_subject
from persx.http.rate_limit import address_over_limit, counter_key, over_limit


def batches_per_window() -> int:
    return config().events_rate_limit_per_minute


def batches_per_address() -> int:
    return config().events_rate_limit_per_address_per_minute


def events_over_limit(request: HttpRequest, visitor_id: str) -> int | None:
    """Count one batch against both limits; seconds to wait when either is exceeded."""
    subject = f"{rate_limit_subject(request)}|{visitor_id}"
    per_visitor = over_limit(counter_key("events-visitor", subject), batches_per_window())
    per_address = address_over_limit(request, "events-address", batches_per_address())
    waits = [w for w in (per_visitor, per_address) if w is not None]
    return max(waits) if waits else None
