"""``POST /api/csp-reports``: where browsers report Content-Security-Policy violations.

A report is validated (the ``report-uri`` format, ``{"csp-report": {...}}``, sent as
``application/csp-report`` or JSON), then logged as one line ``csp violation`` on the
``persx.security`` logger with the directive, the blocked resource and where it happened.
Query strings are cut from the URLs before logging (they may carry personal data).
Reports are rate limited per client address (``CSP_REPORTS_PER_ADDRESS_PER_MINUTE``,
30 by default): a page full of violations sends many, and anyone can post here. Nothing is
stored, so the endpoint needs no CSRF token.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from persx.config import config
from persx.http.errors import error_response, error_responses, field_name
from persx.http.openapi_schema import inline_schema
from persx.http.rate_limit import address_over_limit

logger = logging.getLogger("persx.security")
router = Router(tags=["security"])

ACCEPTED_CONTENT_TYPES = ("application/csp-report", "application/json")


# As enforced by ``names_a_directive``: at least one of the two directive names, not empty.
_NAMES_A_DIRECTIVE: dict[str, Any] = {
    "anyOf": [
        {"required": [name], "properties": {name: {"minLength": 1}}}
        for name in ("effective-directive", "violated-directive")
    ]
}


class Violation(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True, extra="ignore", json_schema_extra=_NAMES_A_DIRECTIVE
    )

    document_uri: str = Field(alias="document-uri", min_length=1, max_length=2048)
    violated_directive: str = Field("", alias="violated-directive", max_length=200)
    effective_directive: str = Field("", alias="effective-directive", max_length=200)
    blocked_uri: str = Field("", alias="blocked-uri", max_length=2048)
    source_file: str = Field("", alias="source-file", max_length=2048)
    line_number: int = Field(0, alias="line-number", ge=0)
    disposition: str = Field("enforce", max_length=20)

    @model_validator(mode="after")
    def names_a_directive(self) -> Violation:
        if not (self.violated_directive or self.effective_directive):
            raise ValueError("names no directive (effective-directive or violated-directive)")
        return self


class CspReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    csp_report: Violation = Field(alias="csp-report")


def _without_query(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable)"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _content_type_problem(request: HttpRequest) -> str | None:
    media_type = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if media_type in ACCEPTED_CONTENT_TYPES:
        return None
    return f"Content-Type '{media_type or 'missing'}' is not accepted; send application/csp-report"


@router.post(
    "/csp-reports",
    response={204: None, **error_responses(400, 413, 415, 422, 429)},
    summary="Report a Content-Security-Policy violation (browsers send these)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": inline_schema(CspReport)} for media in ACCEPTED_CONTENT_TYPES
            },
        }
    },
)
def report_violation(request: HttpRequest) -> Any:
    """Logged, never stored. Rate limited per client address (429, Retry-After)."""
    problem = _content_type_problem(request)
    if problem:
        return error_response(415, problem, [{"loc": ["header", "Content-Type"], "msg": problem}])
    limit = config().csp_reports_per_address_per_minute
    retry_after = address_over_limit(request, "csp-reports", limit)
    if retry_after is not None:
        response = error_response(429, f"too many reports; try again in {retry_after} s", [])
        response.headers["Retry-After"] = str(retry_after)
        return response
    try:
        report = CspReport.model_validate_json(request.body).csp_report
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        detail = [
            {"loc": ["body", *(str(p) for p in e.get("loc", ()))], "msg": str(e.get("msg", ""))}
            for e in errors[:20]
        ]
        message = "; ".join(f"{field_name(d['loc'])}: {d['msg']}" for d in detail[:5])
        return error_response(422, message, detail)
    logger.warning(
        "csp violation",
        extra={
            "directive": report.effective_directive or report.violated_directive,
            "blocked": _without_query(report.blocked_uri) or report.blocked_uri,
            "document": _without_query(report.document_uri),
            "source": f"{_without_query(report.source_file)}:{report.line_number}"
            if report.source_file
            else "",
            "disposition": report.disposition,
        },
    )
    return HttpResponse(status=204)
