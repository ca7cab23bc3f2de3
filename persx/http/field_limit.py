"""Too many parameters in one request: a 400 at once that says why, sized by path.

Two limits (persx/settings/base.py): the Wagtail admin (``FIELD_LIMIT_ADMIN_PREFIXES``,
``/cms/``) takes ``DATA_UPLOAD_MAX_NUMBER_FIELDS``, sized from the largest page an editor
can build; everything else (the site, the API) takes ``PERSX_PUBLIC_MAX_NUMBER_FIELDS``.

Parameters are counted the way Django counts them, before anything parses them: the query
string and a urlencoded body by their ``&`` separators (``parse_qsl``'s own count), a
multipart body by its part boundaries (it is read into memory, which
``DATA_UPLOAD_MAX_MEMORY_SIZE`` bounds). Only a multipart body larger than that (an admin
upload) is parsed here, with Django's own ceiling. So Django never raises
``TooManyFieldsSent`` itself, whose answer is a bare "Bad Request (400)" in production, and
under ``DEBUG`` a debug page that parses the refused parameters again (a 500 after ~20 s
for 2,000 of them).

The answer: the API's error shape under ``/api/``, else a page that names both numbers;
an editor's page says that nothing was saved (the editor's own script,
persx/static/persx/admin/field_limit.js, stops such a form before it is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from persx.config import config
from persx.http.errors import error_response

logger = logging.getLogger("persx.http")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def admin_prefixes() -> tuple[str, ...]:
    return config().admin_path_prefixes


def field_limit(path: str) -> int:
    """How many parameters a request to ``path`` may send (query string and body each)."""
    if path.startswith(admin_prefixes()):
        return int(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)
    return config().public_max_number_fields


def urlencoded_fields(data: str | bytes) -> int:
    """Parameters in a query string or urlencoded body, as ``parse_qsl`` counts them."""
    if not data:
        return 0
    if isinstance(data, bytes):
        return 1 + data.count(b"&")
    return 1 + data.count("&")


def multipart_fields(body: bytes, boundary: str) -> int:
    """Parts of a multipart body: its boundary lines less the closing one."""
    return max(body.count(b"--" + boundary.encode("ascii", "replace")) - 1, 0)


def body_fields(request: HttpRequest) -> int | None:
    """Parameters in the request's form body, counted without parsing; ``None`` when it is
    not a form body, or a multipart body too large to hold in memory (an upload)."""
    if request.method not in BODY_METHODS:
        return None
    if request.content_type == URLENCODED:
        return urlencoded_fields(request.body)
    if request.content_type == MULTIPART:
        boundary = (request.content_params or {}).get("boundary", "")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django refuses it when it parses
        if not boundary or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        return multipart_fields(request.body, boundary)
    return None


def too_many_fields(request: HttpRequest, where: str, sent: int | None, limit: int) -> HttpResponse:
    """The 400 for a request with more than ``limit`` parameters in its ``where``."""
    count = f"{sent} parameters" if sent is not None else "more parameters"
    message = f"{where}: {count}; the limit is {limit}"
    logger.warning("refused %s %s: %s", request.method, request.path, message)
    if request.path.startswith("/api/"):
        detail = [{"loc": [where], "msg": f"more than {limit} parameters"}]
        response: HttpResponse = error_response(400, message, detail)
    else:
        context = {
            "sent": sent,
            "limit": limit,
            "where": where,
            "editor": request.path.startswith(admin_prefixes()),
        }
        response = render(request, "too_many_fields.html", context, status=400)
    response["Cache-Control"] = "no-store"
    return response


class FieldLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = field_limit(request.path)
        in_query = urlencoded_fields(request.META.get("QUERY_STRING", ""))
        if in_query > limit:
            return too_many_fields(request, "query", in_query, limit)
        in_body = body_fields(request)
        if in_body is not None and in_body > limit:
            return too_many_fields(request, "body", in_body, limit)
        if in_body is None and request.method == "POST" and request.content_type == MULTIPART:
            try:
                request.POST  # noqa: B018 -- a large upload: Django parses it, with its ceiling
            except TooManyFieldsSent:
                return too_many_fields(request, "body", None, limit)
        return self.get_response(request)
