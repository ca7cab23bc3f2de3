"""The email channel's settings, read on each call (tests override them).

- ``PERSX_EMAIL_BASE_URL``: the site's origin in links (default ``WAGTAILADMIN_BASE_URL``);
- ``PERSX_EMAIL_LINK_MAX_AGE_DAYS``: how long a tracked link restores a profile (60);
- ``PERSX_EMAIL_ATTRIBUTION_DAYS``: how long after a click a conversion counts for the
  email (7);
- ``PERSX_EMAIL_UNSUBSCRIBE_MAILTO``: an address for a ``mailto:`` entry in
  ``List-Unsubscribe`` beside the one-click URL ('' = none).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def base_url() -> str:
    explicit = getattr(settings, "PERSX_EMAIL_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return str(explicit).rstrip("/")


def link_max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "PERSX_EMAIL_LINK_MAX_AGE_DAYS", 60)))


def attribution_window() -> timedelta:
    return timedelta(days=int(getattr(settings, "PERSX_EMAIL_ATTRIBUTION_DAYS", 7)))


def unsubscribe_mailto() -> str:
    return str(getattr(settings, "PERSX_EMAIL_UNSUBSCRIBE_MAILTO", "") or "")
