"""No shared cache may keep a response that sets a cookie or depends on the visitor.

Runs outermost, so it sees every cookie set by any layer (profile, session, CSRF). A
response that sets a cookie becomes ``private, no-store`` (a shared cache must never hand
one visitor's new id to another); a response that varies on the cookie (every page that
reads the profile) becomes at least ``private``. Static files (no cookie, no ``Vary``)
keep their long-lived public caching.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import has_vary_header, patch_cache_control


class SharedCachePrivacyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.cookies:
            patch_cache_control(response, private=True, no_store=True)
        elif has_vary_header(response, "Cookie"):
            patch_cache_control(response, private=True)
        return response
