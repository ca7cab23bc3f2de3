"""``POST /api/events``: batches of client events from the browser tracker.

Order of checks (each answers JSON ``{message, detail}``): body size (413, middleware),
Content-Type (415), cross-site (403), rate limit (429 + Retry-After), the batch validated
whole (422 naming ``events.<index>.<field>``; nothing stored), then one transaction, retried
while the database is briefly locked (503 + Retry-After when it stays locked). The answer
``{"accepted", "duplicates"}`` is sent only after the commit. No CSRF token: see
``persx.events.request_origin``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Router
from pydantic import ValidationError

from persx.events.durable_write import DatabaseBusy
from persx.events.rate_limit import events_over_limit
from persx.events.request_origin import content_type_problem, cross_site_problem
from persx.events.schemas import BATCH_ADAPTER, BatchAccepted, EventBatch
from persx.events.services import store_client_events, time_problems
from persx.http.errors import error_response, error_responses, field_name
from persx.http.openapi_schema import inline_schema
from persx.observability import metrics
from persx.privacy.middleware import consent_of
from persx.visitors.state import visitor

router = Router(tags=["events"])

MAX_LISTED_ERRORS = 10


def _validation_failure(exc: ValidationError) -> JsonResponse:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    detail = [
        {"loc": ["body", *(str(p) for p in e.get("loc", ()))], "msg": str(e.get("msg", ""))}
        for e in errors[:100]
    ]
    messages = [f"{field_name(d['loc'])}: {d['msg']}" for d in detail[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        messages.append(f"... and {len(errors) - MAX_LISTED_ERRORS} more problems")
    return error_response(422, "; ".join(messages), detail)


def _with_retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    response.headers["Retry-After"] = str(seconds)
    return response


# As enforced: JSON (as application/json or, for sendBeacon, text/plain); no CSRF token,
# but a browser's Sec-Fetch-Site/Origin must say same-site (403 otherwise); the visitor is
# the optional profile cookie (without one, events are stored without a visitor).
_OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": inline_schema(EventBatch)}
            for media in ("application/json", "text/plain")
        },
    },
    "parameters": [
        {
            "in": "cookie",
            "name": "persx_profile",
            "required": False,
            "schema": {"type": "string"},
            "description": "The signed profile cookie: events are attributed to its visitor.",
        },
        {
            "in": "header",
            "name": "Sec-Fetch-Site",
            "required": False,
            "schema": {"type": "string", "enum": ["same-origin", "none"]},
            "description": "Sent by browsers; any other value is refused (403).",
        },
        {
            "in": "header",
            "name": "Origin",
            "required": False,
            "schema": {"type": "string"},
            "description": "When sent, must be this site (or a CSRF trusted origin); else 403.",
        },
    ],
}


@router.post(
    "/events",
    response={200: BatchAccepted, **error_responses(400, 403, 413, 415, 422, 429, 503)},
    summary="Record a batch of client events",
    openapi_extra=_OPENAPI_EXTRA,
)
def post_events(request: HttpRequest) -> Any:
    """Up to 500 events. Idempotent by ``event_id``; the visitor comes from the cookie.

    No CSRF token (``navigator.sendBeacon`` cannot send one); cross-site requests are
    refused instead. Rate limited per visitor and per client address (429, Retry-After).
    """
    problem = content_type_problem(request)
    if problem:
        return error_response(415, problem, [{"loc": ["header", "Content-Type"], "msg": problem}])
    problem = cross_site_problem(request)
    if problem:
        return error_response(403, problem, [{"loc": ["header", "Origin"], "msg": problem}])
    profile = visitor(request).profile
    retry_after = events_over_limit(request, profile.visitor_id if profile else "")
    if retry_after is not None:
        metrics.record_events("rate_limited")
        message = f"too many event batches; try again in {retry_after} s"
        return _with_retry_after(error_response(429, message, []), retry_after)

    try:
        batch = BATCH_ADAPTER.validate_json(request.body)
    except ValidationError as exc:
        metrics.record_events("rejected")
        return _validation_failure(exc)
    received_at = timezone.now()
    too_old = time_problems(batch.events, received_at)
    if too_old:
        detail = [
            {"loc": ["body", "events", str(p.index), "occurred_at"], "msg": p.message}
            for p in too_old
        ]
        first = too_old[0]
        more = f" (and {len(too_old) - 1} more)" if len(too_old) > 1 else ""
        message = f"events.{first.index}.occurred_at: {first.message}{more}"
        metrics.record_events("rejected", len(batch.events))
        return error_response(422, message, detail)

    try:
        stored = store_client_events(batch.events, profile, received_at, consent_of(request).state)
    except DatabaseBusy as busy:
        message = "the event store is busy; nothing was stored, send the same batch again"
        return _with_retry_after(error_response(503, message, []), busy.retry_after)
    metrics.record_events("accepted", stored.accepted)
    metrics.record_events("duplicate", stored.duplicates)
    metrics.record_events("declined", stored.declined)
    return BatchAccepted(
        accepted=stored.accepted, duplicates=stored.duplicates, declined=stored.declined
    )
