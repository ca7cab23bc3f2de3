"""A request id on every request, in every log line and in the ``X-Request-ID`` header.

An id sent by a trusted front (a load balancer's ``X-Request-ID``) is kept when it looks
like one (1–64 letters, digits, ``-`` or ``_``); otherwise a new random id is made. The id
lives in a context variable, so log records made anywhere while the request runs carry it
(``RequestIdFilter``), including Django's own error log of a 500 with its traceback.

The id stays set until the response is closed, not only while the middleware runs: Django
logs a 5xx that a view or middleware *answered* (a 503 for an unreachable database) after
the whole middleware chain has returned (``BaseHandler.get_response``), and the server
closes the response after sending it.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_current: ContextVar[str] = ContextVar("persx_request_id", default="")


def current_request_id() -> str:
    """The id of the request being handled ("" outside a request)."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _VALID.match(offered) else secrets.token_hex(8)
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        except BaseException:  # Django turns exceptions into responses; this is a last net
            _current.reset(token)
            raise
        response[HEADER] = request_id
        return response


@receiver(request_finished)
def _request_over(**_: object) -> None:
    """The response is closed (the server sent it): later log lines belong to no request."""
    _current.set("")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (used by the JSON formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
