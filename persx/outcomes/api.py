"""``POST /api/outcomes``: a CRM integration sends a batch of pipeline outcomes.

Order of checks (each answers JSON ``{message, detail}``): bearer token of a live
integration token (401), the integration's batches this minute
(``OUTCOME_BATCHES_PER_INTEGRATION_PER_MINUTE``; 429 + Retry-After), body size (413,
middleware), Content-Type (415), JSON (400), the
batch's length 1..1000 (413 above, naming ``outcomes``), every record validated (422 naming
``outcomes.<index>.<field>``), then against the database: an outcome id stored before with
other content (409 naming the row and field), an outcome before its visitor's first
exposure (422). Only a batch without a problem is written, in one transaction; the answer
``{created, unchanged, matched}`` comes after the commit. The same batch again answers 200
with everything ``unchanged``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from ninja.security import HttpBearer
from pydantic import Field

from persx.config import config
from persx.http.errors import ApiError, error_response, error_responses
from persx.http.openapi_schema import inline_schema
from persx.http.rate_limit import counter_key, over_limit
from persx.outcomes.models import Integration
from persx.outcomes.services import check_and_store, integration_for_token
from persx.outcomes.validation import MAX_BATCH, OutcomeRecord, RowProblem, validate_records

router = Router(tags=["outcomes"])

MAX_LISTED_ERRORS = 10


class IntegrationToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Integration | None:
        return integration_for_token(token)


class OutcomeBatch(Schema):
    # At most MAX_BATCH (413 above, as the 413 description says); not stated as maxItems:
    # the document's array limit would read as a 422.
    outcomes: list[OutcomeRecord] = Field(min_length=1)


class OutcomesAccepted(Schema):
    created: int
    unchanged: int
    matched: int


def _problem_response(status: int, problems: list[RowProblem]) -> JsonResponse:
    detail = [
        {"loc": ["body", "outcomes", str(p.row), p.field], "msg": p.message} for p in problems
    ]
    messages = [f"outcomes.{p.row}.{p.field}: {p.message}" for p in problems[:MAX_LISTED_ERRORS]]
    if len(problems) > MAX_LISTED_ERRORS:
        messages.append(f"... and {len(problems) - MAX_LISTED_ERRORS} more problems")
    return error_response(status, "; ".join(messages), detail)


def _batch_problem(status: int, field: str, message: str) -> JsonResponse:
    return error_response(status, f"{field}: {message}", [{"loc": ["body", field], "msg": message}])


_DESCRIPTIONS = {
    "401": "No bearer token, or not a live token of an integration.",
    "409": "An outcome id is already stored with other content; the message names the row "
    "and field. Nothing of the batch was stored.",
    "429": "The integration sent more batches this minute than "
    "OUTCOME_BATCHES_PER_INTEGRATION_PER_MINUTE allows; nothing was stored. Send the batch "
    "again after Retry-After seconds.",
    "413": f"The body is larger than the endpoint accepts, or the batch has more than "
    f"{MAX_BATCH} outcomes.",
    "422": "A field is invalid (the message names outcomes.<row>.<field>); nothing of the "
    "batch was stored.",
}

_OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(OutcomeBatch)}},
    },
    "responses": {code: {"description": text} for code, text in _DESCRIPTIONS.items()},
}


@router.post(
    "/outcomes",
    auth=IntegrationToken(),
    response={
        200: OutcomesAccepted,
        401: ApiError,
        409: ApiError,
        **error_responses(400, 413, 415, 422, 429, 503),
    },
    summary="Record a batch of CRM pipeline outcomes",
    openapi_extra=_OPENAPI_EXTRA,
)
def post_outcomes(request: HttpRequest) -> Any:
    """1 to 1,000 outcomes of the token's integration, stored all or nothing. Idempotent by
    (integration, ``outcome_id``): the same content again changes nothing (counted as
    ``unchanged``); the same id with other content is refused (409)."""
    integration: Integration = request.auth  # type: ignore[attr-defined]
    limit = config().outcome_batches_per_integration_per_minute
    retry_after = over_limit(counter_key("outcome-batches", str(integration.pk)), limit)
    if retry_after is not None:
        message = (
            f"more than {limit} batches this minute from integration {integration.name}; "
            f"send this batch again in {retry_after} s"
        )
        response = error_response(429, message, [])
        response.headers["Retry-After"] = str(retry_after)
        return response
    content_type = request.content_type or ""
    if content_type != "application/json":
        message = f"send the batch as application/json, not {content_type or 'nothing'}"
        return error_response(415, message, [{"loc": ["header", "Content-Type"], "msg": message}])
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        return _batch_problem(400, "body", f"not JSON ({exc})")
    if not isinstance(body, dict) or not isinstance(body.get("outcomes"), list):
        return _batch_problem(422, "outcomes", 'send {"outcomes": [...]}, a list of outcomes')
    extra = sorted(set(body) - {"outcomes"})
    if extra:
        return _batch_problem(422, extra[0], "extra inputs are not permitted")
    rows = body["outcomes"]
    if not rows:
        return _batch_problem(422, "outcomes", "send at least one outcome")
    if len(rows) > MAX_BATCH:
        return _batch_problem(
            413, "outcomes", f"at most {MAX_BATCH} outcomes per batch, got {len(rows)}"
        )
    records, problems = validate_records(rows)
    if problems:
        return _problem_response(422, problems)
    result = check_and_store(integration, records)
    if not result.ok:
        return _problem_response(409 if result.conflict else 422, result.problems)
    return OutcomesAccepted(
        created=result.created, unchanged=result.unchanged, matched=result.matched
    )
