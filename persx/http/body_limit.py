"""Refuse oversized API bodies before anything reads them (413, JSON, names the limit).

Only requests whose body the API reads are checked (POST, PUT, PATCH): a GET or DELETE
body is never read, so its Content-Length does not matter.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.config import config
from persx.http.errors import error_response

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in BODY_METHODS and request.path.startswith("/api/"):
            conf = config()
            limit = (
                conf.events_max_body_bytes
                # events: batches of 500; outcomes: CRM batches of 1,000 (persx/outcomes/api.py)
                if request.path.startswith(("/api/events", "/api/outcomes"))
                else conf.api_max_body_bytes
            )
            raw_length = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw_length)
            except ValueError:
                return error_response(400, "Content-Length header is not a number", [])
            if length > limit:
                return error_response(
                    413,
                    f"body: request body is {length} bytes; the limit is {limit} bytes",
                    [{"loc": ["body"], "msg": f"larger than {limit} bytes"}],
                )
        return self.get_response(request)
