"""One error shape for every API failure: ``{"message": ..., "detail": [{"loc", "msg"}]}``.

``message`` names the offending field in words; ``detail`` keeps pydantic's locations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from persx.http.rate_limit import RateLimited

# Location parts that say where a value sits but are not the field's name.
_CONTAINER_PARTS = {"body", "query", "path", "header", "cookie", "payload"}


class ErrorDetail(Schema):
    loc: list[str]
    msg: str


class ApiError(Schema):
    """The body of every API error: ``message`` names the field; ``detail`` locates it."""

    message: str
    detail: list[ErrorDetail]


# What each error status means for the API's clients (the OpenAPI descriptions).
ERROR_MEANINGS: dict[int, str] = {
    400: "The body could not be parsed, or Content-Length is not a number.",
    403: "Refused: the CSRF token the operation requires (cookie csrftoken + header "
    "X-CSRFToken) is missing or wrong, or the request comes from another site.",
    405: "The path does not answer this method; the Allow header lists the ones it does.",
    413: "The body is larger than the endpoint accepts.",
    415: "The body is not JSON (Content-Type).",
    422: "A field is invalid; the message names it.",
    429: "Too many requests from this client; see Retry-After.",
    503: "Temporarily unavailable (e.g. the database is busy); send the same request again "
    "after Retry-After.",
}


def error_responses(*statuses: int) -> dict[int, type[ApiError]]:
    """``response=`` entries documenting the error statuses an operation can answer."""
    unknown = set(statuses) - ERROR_MEANINGS.keys()
    if unknown:
        raise ValueError(f"no meaning written for status {sorted(unknown)}")
    return dict.fromkeys(statuses, ApiError)


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

    @api.exception_handler(RateLimited)
    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = error_response(429, exc.message, [])
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, str(exc), [])
