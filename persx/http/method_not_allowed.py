"""A method a path does not answer: 405 in the API's one error shape, with ``Allow``.

django-ninja answers it with a plain-text body; clients of the API parse every error as
``{"message", "detail"}``, and the OpenAPI document lists 405 for every operation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from persx.http.errors import error_response


class ApiMethodNotAllowedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or not request.path.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # already in the error shape
        allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m))
        message = f"method: {request.method} is not allowed on {request.path}; use {allowed}"
        answer = error_response(405, message, [{"loc": ["method"], "msg": f"use {allowed}"}])
        answer["Allow"] = allowed
        return answer
