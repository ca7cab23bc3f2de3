"""The email channel's settings (``PERSX`` in the settings, ``persx.config``; environment
variables in brackets), read on each call so tests may override them:

- ``EMAIL_BASE_URL`` (``PERSX_EMAIL_BASE_URL``): the site's origin in links (default
  ``WAGTAILADMIN_BASE_URL``);
- ``EMAIL_LINK_MAX_AGE_DAYS`` (``PERSX_EMAIL_LINK_MAX_AGE_DAYS``): how long a tracked link
  restores a profile (60);
- ``EMAIL_ATTRIBUTION_DAYS`` (``PERSX_EMAIL_ATTRIBUTION_DAYS``): how long after a click a
  conversion counts for the email (7);
- ``EMAIL_UNSUBSCRIBE_MAILTO`` (``PERSX_EMAIL_UNSUBSCRIBE_MAILTO``): an address for a
  ``mailto:`` entry in ``List-Unsubscribe`` beside the one-click URL ('' = none).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from persx.config import config


def base_url() -> str:
    explicit = config().email_base_url or settings.WAGTAILADMIN_BASE_URL
    return str(explicit).rstrip("/")


def link_max_age() -> timedelta:
    return timedelta(days=config().email_link_max_age_days)


def attribution_window() -> timedelta:
    return timedelta(days=config().email_attribution_days)


def unsubscribe_mailto() -> str:
    return config().email_unsubscribe_mailto
