"""``POST /api/decisions``: the block decisions of a page (or of named blocks) for one
visitor, for apps, single-page sites and edge workers (docs/headless.md).

Callers: an app sends ``Authorization: Bearer <app key>`` and states the visitor in the
body; a browser sends its profile cookie and the CSRF token (cookie ``csrftoken`` + header
``X-CSRFToken``), as for the API's other writes. Order of checks (each answers JSON
``{message, detail}``): body size (413, middleware), the key (401) or the CSRF token (403),
the rate limit (429 + Retry-After), Content-Type (415), the body parsed (400) and validated
(422 naming the field), the pages and blocks (404 naming the field), the key's scope for
recording (403). Nothing is written before every check has passed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from ninja import Router
from ninja.utils import check_csrf
from pydantic import ValidationError

from persx.events.request_origin import content_type_problem
from persx.headless import decisions, services
from persx.headless.directory import directory
from persx.headless.models import AppKey
from persx.headless.rate_limit import browser_over_limit, key_over_limit
from persx.headless.schemas import (
    REQUEST_ADAPTER,
    BlockOut,
    DecisionRequest,
    DecisionsOut,
    Directory,
    VisitorOut,
)
from persx.headless.stated_visitor import stated_profile
from persx.headless.targets import resolve_targets
from persx.http.api_csrf import HEADER as CSRF_HEADER
from persx.http.api_csrf import REFUSED as CSRF_REFUSED
from persx.http.errors import ApiError, FieldError, error_response, error_responses, field_name
from persx.http.openapi_schema import inline_schema
from persx.personalization.context import (
    PersonalizationContext,
    personalization_of,
    visitor_context,
)
from persx.visitors.state import visitor

router = Router(tags=["decisions"])

BEARER = "Bearer "
UNAUTHORIZED = "Authorization: not a live app key (send 'Bearer pxk_...'; revoked keys are refused)"

_OPENAPI_EXTRA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": inline_schema(DecisionRequest)}},
    },
    "parameters": [
        {
            "in": "header",
            "name": "Authorization",
            "required": False,
            "schema": {"type": "string"},
            "description": "Apps: 'Bearer pxk_…', an app key created in the admin (Settings → "
            "App keys). With it, no cookie and no CSRF token are needed (and none are read).",
        },
        {
            "in": "header",
            "name": CSRF_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "Browsers (no Authorization header): the value of the csrftoken "
            "cookie that GET /api/decisions sets. Apps with a key leave it out.",
        },
        {
            "in": "cookie",
            "name": "csrftoken",
            "required": True,
            "schema": {"type": "string"},
            "description": "Browsers: the cookie GET /api/decisions sets. Apps with a "
            "key leave it out.",
        },
        {
            "in": "cookie",
            "name": "persx_profile",
            "required": False,
            "schema": {"type": "string"},
            "description": "Browsers: the signed profile cookie; its visitor is decided for.",
        },
    ],
    "responses": {
        401: {"description": "The Authorization header is not a live app key."},
        404: {"description": "A page or block the request names does not exist (named)."},
    },
}


def _refused(status: int, where: list[str], message: str) -> JsonResponse:
    return error_response(status, message, [{"loc": where, "msg": message}])


def _with_retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    response.headers["Retry-After"] = str(seconds)
    return response


def _parsed(request: HttpRequest) -> DecisionRequest | JsonResponse:
    try:
        return REQUEST_ADAPTER.validate_json(request.body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e.get("type") == "json_invalid" for e in errors):
            return _refused(400, ["body"], "body: not valid JSON")
        detail = [
            {"loc": ["body", *_field_parts(e.get("loc", ()))], "msg": str(e.get("msg", ""))}
            for e in errors[:20]
        ]
        messages = dict.fromkeys(f"{field_name(d['loc'])}: {d['msg']}" for d in detail)
        return error_response(422, "; ".join(messages), detail)


# The branch names pydantic puts in a location when a field takes one of several types.
_UNION_BRANCHES = frozenset({"str", "int", "bool", "StatedVisitor"})


def _field_parts(loc: Any) -> list[str]:
    """A location as the field's name: ``page.str`` (the union's branch) is ``page``."""
    return [str(p) for p in loc if str(p) not in _UNION_BRANCHES and "[" not in str(p)]


def _answer(
    context: PersonalizationContext,
    decided: list[tuple[decisions.PageTarget, list[decisions.BlockDecision]]],
    recorded: bool,
) -> DecisionsOut:
    profile = context.profile
    return DecisionsOut(
        visitor=VisitorOut(
            industry=profile.industry if profile else None,
            persona=profile.persona if profile else None,
            held_out=context.held_out,
        ),
        recorded=recorded,
        blocks=[
            BlockOut(
                key=b.key,
                page=b.page_url,
                type=b.block_type,
                variant=b.decision.variant_key,
                reason=str(b.decision.reason),
                experiment=b.decision.experiment,
                arm=b.decision.arm,
                content=b.content,
            )
            for _target, blocks in decided
            for b in blocks
        ],
    )


@router.get("/decisions", response=Directory, summary="The pages and blocks that can be decided")
def get_directory(request: HttpRequest) -> Directory:
    """The live pages with personalizable blocks, and their block keys (for ``blocks`` in
    ``POST``). Also sets the CSRF cookie that a browser's ``POST`` needs."""
    get_token(request)
    return Directory.model_validate({"pages": directory()})


@router.post(
    "/decisions",
    response={
        200: DecisionsOut,
        401: ApiError,
        404: ApiError,
        **error_responses(400, 403, 413, 415, 422, 429),
    },
    summary="Decide a page's (or named blocks') content for one visitor",
    openapi_extra=_OPENAPI_EXTRA,
)
def post_decisions(request: HttpRequest) -> Any:
    """Each block's chosen content (in the block's own schema), the reason and the
    experiment arm: the decisions the server-rendered page shows this visitor. Records the
    page view and one exposure per block, as a page view does (consent permitting;
    ``record: false`` to only ask). 403 also when an app key without the decide+record
    scope asks to record. Rate limited per app key, or per browser visitor and address."""
    authorization = request.headers.get("Authorization")
    key: AppKey | None = None
    if authorization is not None:
        text = authorization.removeprefix(BEARER).strip()
        key = services.key_for(text) if authorization.startswith(BEARER) else None
        if key is None:
            return _refused(401, ["header", "Authorization"], UNAUTHORIZED)
        retry_after = key_over_limit(key)
    else:
        if check_csrf(request) is not None:
            return _refused(403, ["header", CSRF_HEADER], CSRF_REFUSED)
        profile = visitor(request).profile
        retry_after = browser_over_limit(request, profile.visitor_id if profile else "")
    if retry_after is not None:
        message = f"too many decision requests; try again in {retry_after} s"
        return _with_retry_after(error_response(429, message, []), retry_after)
    problem = content_type_problem(request)
    if problem:
        return _refused(415, ["header", "Content-Type"], problem)
    payload = _parsed(request)
    if isinstance(payload, JsonResponse):
        return payload
    if payload.page is None and not payload.blocks:
        raise FieldError("page", "name a page, or blocks (at least one)")
    if key is not None and payload.visitor is None:
        raise FieldError("visitor", "required with an app key (the app states its visitor)")
    targets = resolve_targets(request, payload.page, payload.blocks)
    if payload.visitor is not None:
        context = visitor_context(stated_profile(payload.visitor))
        may_record = key is not None and key.may_record
    else:
        context = personalization_of(request)  # the cookie's visitor, built as for a page
        may_record = True
    if key is not None and payload.record is True and not key.may_record:
        return _refused(
            403,
            ["body", "record"],
            "record: this app key's scope is 'decide'; send record: false, or use a "
            "decide+record key",
        )
    decided = decisions.decide(request, context, targets)
    recorded = payload.record is not False and may_record and decisions.record(context, decided)
    if key is not None:
        services.note_use(key)
    return _answer(context, decided, recorded)
