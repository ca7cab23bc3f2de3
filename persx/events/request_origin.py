"""Which requests may post events: same-origin browsers, JSON bodies.

``POST /api/events`` is exempt from Django's CSRF token check: ``navigator.sendBeacon``
cannot set headers, and an event batch changes nothing about the visitor's account or
profile (it only appends measurements attributed to the cookie's visitor). Cross-site
posting is still refused: when the browser says where the request comes from
(``Sec-Fetch-Site``, ``Origin``), it must be this site. A forged batch from a non-browser
client carries no profile cookie of a victim; it can only add events to its own visitor,
and the rate limit bounds that.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

ACCEPTED_CONTENT_TYPES = ("application/json", "text/plain")
SAME_ORIGIN_FETCH_SITES = ("same-origin", "none")


def content_type_problem(request: HttpRequest) -> str | None:
    raw = request.META.get("CONTENT_TYPE", "")
    media_type = raw.split(";", 1)[0].strip().lower()
    if media_type in ACCEPTED_CONTENT_TYPES:
        return None
    return (
        f"Content-Type '{media_type or 'missing'}' is not accepted; send JSON as "
        "application/json or text/plain"
    )


def cross_site_problem(request: HttpRequest) -> str | None:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() not in SAME_ORIGIN_FETCH_SITES:
        return f"cross-site request refused (Sec-Fetch-Site: {fetch_site})"
    origin = request.headers.get("Origin")
    if origin is not None:
        scheme = "https" if request.is_secure() else "http"
        allowed = {f"{scheme}://{request.get_host()}", *settings.CSRF_TRUSTED_ORIGINS}
        if origin not in allowed:
            return f"cross-site request refused (Origin: {origin})"
    return None
