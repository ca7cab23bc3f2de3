"""A path without its trailing slash: 308 to the path with it when that is a page or a view,
404 when it is not, for every method and in every environment.

Django's ``APPEND_SLASH`` (``CommonMiddleware``) redirected with 301, which turns a POST
into a GET without its body, and under ``DEBUG`` it raised ``RuntimeError`` for a POST,
PUT, PATCH or DELETE (a 500 under ``make run``). And since the site's pages are one
catch-all pattern (every path that ends in a slash resolves to Wagtail's ``serve``), it
redirected every unknown path, ``/api/nope`` to ``/api/nope/``, only for that to be a 404.

Here a 308 (the method and the body are kept, RFC 9110 §15.4.9) goes only where something
answers: a Django view, or a live Wagtail page at the path with the slash. The API's paths
have no trailing slash: under ``/api/`` nothing is redirected.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.urls import Resolver404, resolve
from django.utils.http import escape_leading_slashes

API_PREFIX = "/api/"
PAGES_URL_NAME = "wagtail_serve"  # the site pages' catch-all pattern (persx/urls.py)


class PermanentRedirectKeepingMethod(HttpResponseRedirectBase):
    status_code = 308


class TrailingSlashMiddleware(CommonMiddleware):
    """Django's ``CommonMiddleware`` (``Content-Length``, ``DISALLOWED_USER_AGENTS``,
    ``PREPEND_WWW``) with the slash redirect above; ``APPEND_SLASH`` still switches it."""

    response_redirect_class = PermanentRedirectKeepingMethod

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        if request.path_info.startswith(API_PREFIX):
            return False
        if not super().should_redirect_with_slash(request):
            return False
        target = f"{request.path_info}/"
        try:
            match = resolve(target, getattr(request, "urlconf", None))
        except Resolver404:  # pragma: no cover - the parent resolved it just now
            return False
        if match.url_name == PAGES_URL_NAME:
            return _is_page(request, target)
        return True

    def get_full_path_with_slash(self, request: HttpRequest) -> str:
        # Django's version raises RuntimeError under DEBUG for POST/PUT/PATCH/DELETE: a 301
        # would drop the body. A 308 keeps it, so there is nothing to warn about.
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))


def _is_page(request: HttpRequest, path: str) -> bool:
    """A live page of this request's site is at ``path`` (Wagtail's own routing)."""
    from wagtail.models import Site

    try:
        site = Site.find_for_request(request)
        if site is None:
            return False
        root: Any = site.root_page.localized.specific
        root.route(request, [part for part in path.split("/") if part])
    except (Http404, DatabaseError):
        return False
    return True
