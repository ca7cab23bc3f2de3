"""The rate limits of ``POST /api/decisions`` (counted by ``persx.http.rate_limit``).

An app key: its own ``requests_per_minute`` (set when the key is created), over all its
callers. A browser: the event tracker's limits (``persx.events.rate_limit``), counted
separately: per visitor (client address + the cookie's visitor id) and per address.
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.events.rate_limit import batches_per_address, batches_per_window
from persx.headless.models import AppKey
from persx.http.client_address import rate_limit_subject
from persx.http.rate_limit import address_over_limit, counter_key, over_limit


def key_over_limit(key: AppKey) -> int | None:
    """Count one decision request of ``key``; seconds to wait when over its limit."""
    return over_limit(counter_key("decisions-key", key.prefix), key.requests_per_minute)


def browser_over_limit(request: HttpRequest, visitor_id: str) -> int | None:
    """Count one browser decision request; seconds to wait when either limit is exceeded."""
    subject = f"{rate_limit_subject(request)}|{visitor_id}"
    per_visitor = over_limit(counter_key("decisions-visitor", subject), batches_per_window())
    per_address = address_over_limit(request, "decisions-address", batches_per_address())
    waits = [w for w in (per_visitor, per_address) if w is not None]
    return max(waits) if waits else None
