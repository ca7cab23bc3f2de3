"""The URL parameters that set a visitor's profile, and return addresses without them.

``?industry=<slug>`` on any URL is a campaign link's way of stating the visitor's industry
(read by ``persx.profiles.middleware``). A form that changes the profile (the start form,
the one-question prompt, "Forget me") sends the visitor back to the page they came from,
and that page's URL may still carry the link's parameter: followed as it is, it would state
the link's industry again and overrule the choice just made. So the way back drops these
parameters and keeps every other one (``utm_*``, filters, page numbers).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

INDUSTRY_PARAM = "industry"
# Every query parameter the profile middleware reads to set the profile.
PROFILE_PARAMS: frozenset[str] = frozenset({INDUSTRY_PARAM})


def without_profile_params(path: str) -> str:
    """``path`` (a same-site path with an optional query) minus the profile parameters."""
    parts = urlsplit(path)
    if not parts.query:
        return path
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in pairs if key not in PROFILE_PARAMS]
    if len(kept) == len(pairs):
        return path
    return urlunsplit(parts._replace(query=urlencode(kept)))
