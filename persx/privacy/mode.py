"""The site's consent mode, from ``PERSX["CONSENT_MODE"]`` (read on each call)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from persx.config import config
from persx.privacy.consent import ConsentMode


def consent_mode() -> ConsentMode:
    raw = config().consent_mode
    try:
        return ConsentMode(raw)
    except ValueError:
        choices = ", ".join(m.value for m in ConsentMode)
        raise ImproperlyConfigured(
            f"PERSX['CONSENT_MODE'] is {raw!r}; expected one of {choices}"
        ) from None
