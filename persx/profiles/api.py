"""/api/personalization: read, set and forget the visitor's profile."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router
from ninja.security import APIKeyCookie

from persx.catalog.repository import current_catalog
from persx.config import config
from persx.engine.profile import Provenance
from persx.http.errors import FieldError, error_responses
from persx.http.visitor import VisitorState, visitor
from persx.profiles import services
from persx.profiles.presenters import personalization_state
from persx.profiles.schemas import Forgotten, PersonalizationState, ProfileUpdate


class VisitorCookie(APIKeyCookie):
    """The visitor is whoever holds the profile cookie (or nobody yet); writes need CSRF."""

    param_name = config().profile_cookie_name

    def authenticate(self, request: HttpRequest, key: str | None) -> VisitorState:
        return visitor(request)


router = Router(tags=["personalization"])

# Writes are CSRF-protected as enforced: the csrftoken cookie (set by GET) echoed in a header.
CSRF_HEADER = {
    "parameters": [
        {
            "in": "header",
            "name": "X-CSRFToken",
            "required": True,
            "schema": {"type": "string"},
            "description": "The value of the csrftoken cookie that GET /api/personalization sets.",
        }
    ]
}


@router.get("/personalization", response=PersonalizationState)
def get_state(request: HttpRequest) -> PersonalizationState:
    """The visitor's current profile. Also sets the CSRF cookie that writes need."""
    get_token(request)
    return personalization_state(visitor(request), current_catalog())


@router.put(
    "/personalization",
    response={200: PersonalizationState, **error_responses(400, 403, 413, 422)},
    auth=VisitorCookie(),
    openapi_extra=CSRF_HEADER,
)
def put_state(request: HttpRequest, payload: ProfileUpdate) -> PersonalizationState:
    """Set industry (required), goals, tools and role; answers the new state, sets the cookie."""
    catalog = current_catalog()
    if catalog.industry(payload.industry) is None:
        raise FieldError("industry", f"unknown industry '{payload.industry}'")
    for field, values, known in (
        ("goals", payload.goals, catalog.goal_slugs()),
        ("tools", payload.tools, catalog.tool_slugs()),
    ):
        unknown = [v for v in values or () if v not in known]
        if unknown:
            raise FieldError(field, f"unknown {field}: {', '.join(sorted(unknown))}")
    if payload.goals is not None and not payload.goals:
        raise FieldError("goals", "choose at least one goal (or omit the field)")
    state = visitor(request)
    profile = services.choose(
        catalog,
        state.profile,
        payload.industry,
        Provenance.MANUAL,
        request.user,
        goals=payload.goals,
        tools=payload.tools,
        role=payload.role,
    )
    state.remember(profile)
    return personalization_state(state, catalog)


@router.delete(
    "/personalization",
    response={200: Forgotten, **error_responses(403)},
    auth=VisitorCookie(),
    openapi_extra=CSRF_HEADER,
)
def forget(request: HttpRequest) -> Forgotten:
    """Forget me: delete the cookie and every stored record of this visitor."""
    state = visitor(request)
    deleted = services.forget_visitor(
        state.profile.visitor_id if state.profile else None, request.user
    )
    state.forget()
    return Forgotten(forgotten=True, records_deleted=deleted)
