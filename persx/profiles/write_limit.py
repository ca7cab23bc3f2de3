"""How many profile writes one client address may make a minute.

Every durable profile write (start form, the one-question industry form,
``PUT /api/personalization``) upserts a database row, so a client rotating visitor ids
could otherwise fill the table. ``PROFILE_WRITES_PER_ADDRESS_PER_MINUTE`` (60 by default;
0 switches it off) bounds that per client address (``persx.http.client_address``); a
person changes their profile a few times a minute at most, an office behind NAT a few
dozen. ``?industry=`` links write no row (the cookie carries the choice) and are not
counted.
"""

from __future__ import annotations

from django.http import HttpRequest

from persx.config import config
from persx.http.rate_limit import address_over_limit


def profile_write_refused(request: HttpRequest) -> tuple[str, int] | None:
    """Count one profile write; ``(message, retry_after)`` when over the limit."""
    limit = config().profile_writes_per_address_per_minute
    retry_after = address_over_limit(request, "profile-writes", limit)
    if retry_after is None:
        return None
    return (
        f"too many profile changes from your network; try again in {retry_after} s",
        retry_after,
    )
