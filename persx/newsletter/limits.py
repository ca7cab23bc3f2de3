"""The newsletter's protective limits and their settings.

- ``NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE`` in ``PERSX``
  (``PERSX_NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE``; 20, 0 switches it off): signups one
  client address may post a minute (``persx.http.rate_limit``, shared by every worker). A
  person signs up once; an office behind one NAT address a few colleagues a minute; a
  script posting addresses is stopped here.
- ``NEWSLETTER_RESEND_MINUTES`` (``PERSX_NEWSLETTER_RESEND_MINUTES``; 10): a pending
  address gets no second confirmation email within this time, however often it is
  posted, so the form cannot be used to flood someone's inbox from many addresses.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest

from persx.config import config
from persx.http.rate_limit import address_over_limit


def signups_per_address_per_minute() -> int:
    return config().newsletter_signups_per_address_per_minute


def resend_after() -> timedelta:
    return timedelta(minutes=config().newsletter_resend_minutes)


def signup_refused(request: HttpRequest) -> tuple[str, int] | None:
    """Count one signup from the request's client address; ``(message, retry_after)`` when
    over the limit."""
    retry_after = address_over_limit(
        request, "newsletter-signups", signups_per_address_per_minute()
    )
    if retry_after is None:
        return None
    return (
        f"too many newsletter signups from your network; try again in {retry_after} s",
        retry_after,
    )
