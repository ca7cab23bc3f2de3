"""One error shape for every API failure: ``{"message": ..., "detail": [{"loc", "msg"}]}``.

``message`` names the offending field in words; ``detail`` keeps pydantic's locations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

# Location parts that say where a value sits but are not the field's name.
_CONTAINER_PARTS = {"body", "query", "path", "header", "cookie", "payload"}


class FieldError(Exception):
    """A value that parsed but is not acceptable (e.g. an industry not in the catalog)."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


def field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if str(p) not in _CONTAINER_PARTS]
    return ".".join(parts) or "body"


def error_response(status: int, message: str, detail: list[dict[str, Any]]) -> JsonResponse:
    return JsonResponse({"message": message, "detail": detail}, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        detail = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in exc.errors
        ]
        messages = [f"{field_name(d['loc'])}: {d['msg']}" for d in detail]
        return error_response(422, "; ".join(messages) or "invalid request", detail)

    @api.exception_handler(FieldError)
    def on_field_error(request: HttpRequest, exc: FieldError) -> HttpResponse:
        detail = [{"loc": ["body", *exc.field.split(".")], "msg": exc.message}]
        return error_response(exc.status, f"{exc.field}: {exc.message}", detail)

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "authentication required", [])

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, str(exc), [])
