"""Where a form may send the visitor back to: same-site paths only."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

START_PATH = "/start/"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """A same-site path to return to; anything else (other hosts, schemes) becomes "/".

    The start form itself is never a target (it would loop back to the form).
    """
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(candidate)
        path = parts.path or "/"
        if path.startswith(START_PATH):
            return "/"
        return path + (f"?{parts.query}" if parts.query else "")
    return "/"


def referer_path(request: HttpRequest) -> str:
    """The same-site page the visitor came from ("/" when unknown or foreign)."""
    return safe_next(request, request.headers.get("Referer"))
