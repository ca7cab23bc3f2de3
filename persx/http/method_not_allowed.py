"""A method a path does not answer: 405 in the API's one error shape, with ``Allow``; and
``HEAD`` wherever ``GET`` is answered.

django-ninja answers a 405 with a plain-text body; clients of the API parse every error as
``{"message", "detail"}``, and the OpenAPI document lists 405 for every operation.
django-ninja routes ``HEAD`` nowhere; HTTP (RFC 9110, 9.3.2) makes it ``GET`` without the
body, which link checkers and uptime monitors rely on: it runs as ``GET`` and the body is
dropped, its length kept in ``Content-Length``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.http.errors import error_response


class ApiMethodNotAllowedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "HEAD" and request.path.startswith("/api/"):
            return self._head(request)
        return self._answer(request, self.get_response(request))

    def _head(self, request: HttpRequest) -> HttpResponse:
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.status_code == 405 or response.streaming:
            return self._answer(request, response)
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
        return response

    def _answer(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code != 405 or not request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # already in the error shape
        methods = {m.strip() for m in response.get("Allow", "").split(",") if m.strip()}
        if "GET" in methods:
            methods.add("HEAD")
        allowed = ", ".join(sorted(methods))
        message = f"method: {request.method} is not allowed on {request.path}; use {allowed}"
        answer = error_response(405, message, [{"loc": ["method"], "msg": f"use {allowed}"}])
        answer["Allow"] = allowed
        return answer
