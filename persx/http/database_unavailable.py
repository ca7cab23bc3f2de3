"""The database unreachable: a 503 that says so, with ``Retry-After``, never a 500.

Only connection-level failures count (``OperationalError``, ``InterfaceError``: refused,
dropped, timed out); any other database error is a bug and stays a 500 with its traceback.
Pages a process has served come from its memory and never get here
(``persx.content.views``); the events API answers its own 503. The middleware is the net
under every other view (the start form, the one-question prompt, the privacy forms, the
API): HTML for pages, the API's error shape under ``/api/``. Each is logged with the
request id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from persx.http.errors import error_response

logger = logging.getLogger("persx.http")

RETRY_AFTER_S = 30
DEGRADED_HEADER = "X-PersX-Degraded"


# The database could not be reached (refused, dropped, timed out), as Django raises it.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def marked_unavailable(response: HttpResponse, reason: str) -> HttpResponse:
    """``response`` (a 503) with ``Retry-After``, the reason header, and kept out of caches."""
    response["Retry-After"] = str(RETRY_AFTER_S)
    response[DEGRADED_HEADER] = reason
    response["Cache-Control"] = "no-store"
    return response


def database_unavailable(request: HttpRequest, *, page_not_cached: bool = False) -> HttpResponse:
    """The 503 for ``request``: a page that says what happened (``page_not_cached``: a page
    this process has not kept in memory), or the API's error body."""
    if request.path.startswith("/api/"):
        response: HttpResponse = error_response(
            503, "database unavailable; send the same request again after Retry-After", []
        )
    else:
        context = {"page_not_cached": page_not_cached}
        response = render(request, "unavailable.html", context, status=503)
    return marked_unavailable(
        response,
        "database unavailable; this page is not cached on this server"
        if page_not_cached
        else "database unavailable; nothing was changed",
    )


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CONNECTION_ERRORS):
            return None
        logger.error(
            "database unavailable while serving %s %s",
            request.method,
            request.path,
            exc_info=exception,
        )
        return database_unavailable(request)
