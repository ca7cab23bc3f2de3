"""/api/personalization: read, set and forget the visitor's profile."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest
from django.middleware.csrf import get_token
from ninja import Router
from ninja.decorators import decorate_view

from persx.catalog.repository import current_catalog
from persx.engine.visitor.profile import Provenance
from persx.http.api_csrf import csrf_parameters, csrf_required
from persx.http.errors import FieldError, error_responses
from persx.http.rate_limit import RateLimited
from persx.privacy.middleware import consent_of, mark_erased
from persx.privacy.models import DataRequestChannel
from persx.profiles import services
from persx.profiles.presenters import personalization_state
from persx.profiles.schemas import Forgotten, PersonalizationState, ProfileUpdate
from persx.profiles.write_limit import profile_write_refused
from persx.visitors.state import visitor

router = Router(tags=["personalization"])

# Writes need the CSRF token (cookie csrftoken + header X-CSRFToken) and nothing else.
CSRF = csrf_parameters("/api/personalization")


def document_catalog_choices(document: dict[str, Any]) -> None:
    """State in the OpenAPI ``document`` the choices ``PUT`` enforces: the catalog's
    industry, goal and tool slugs as they are now (they change when an editor edits the
    catalog; ``GET /api/catalog`` lists them with their names)."""
    schema = document.get("components", {}).get("schemas", {}).get(ProfileUpdate.__name__)
    if schema is None:
        return
    try:
        catalog = current_catalog()
    except DatabaseError:  # the document is still served; the writes answer 503 meanwhile
        return
    properties = schema["properties"]
    properties["industry"]["enum"] = [i.slug for i in catalog.industries]
    for field, slugs in (("goals", catalog.goal_slugs()), ("tools", catalog.tool_slugs())):
        for branch in properties[field].get("anyOf", [properties[field]]):
            if branch.get("type") == "array":
                branch["items"] = {**branch.get("items", {}), "enum": sorted(slugs)}


@router.get("/personalization", response=PersonalizationState)
def get_state(request: HttpRequest) -> PersonalizationState:
    """The visitor's current profile. Also sets the CSRF cookie that writes need."""
    get_token(request)
    return personalization_state(visitor(request), current_catalog())


@router.get(
    "/personalization/export",
    response={200: dict[str, Any]},
    summary="Download everything held about me",
)
def export_state(request: HttpRequest) -> dict[str, Any]:
    """Everything PersX holds about the visitor of this cookie (and, when signed in, of the
    account's other visitor ids) as JSON: ``profile`` (stored records and the cookie),
    ``events``, ``leads``, ``behaviour_signals`` (training examples and the signals
    cookie), ``rollups`` (first exposures and conversions). Logged without the data."""
    state = visitor(request)
    return services.export_visitor(
        request,
        state.profile.visitor_id if state.profile else None,
        request.user,
        DataRequestChannel.API,
    )


@router.put(
    "/personalization",
    response={200: PersonalizationState, **error_responses(400, 403, 413, 422, 429)},
    openapi_extra=CSRF,
)
@decorate_view(csrf_required)
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
    refused = profile_write_refused(request)
    if refused:
        raise RateLimited(*refused)
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
        consent=consent_of(request).state,
    )
    state.remember(profile)
    return personalization_state(state, catalog)


@router.delete(
    "/personalization",
    response={200: Forgotten, **error_responses(403)},
    openapi_extra=CSRF,
)
@decorate_view(csrf_required)
def forget(request: HttpRequest) -> Forgotten:
    """Forget me: delete the cookies and everything held about this visitor (profile
    records, events, leads, signals examples, rollup contributions); the visitor id is
    tombstoned so events still on their way are dropped."""
    state = visitor(request)
    erased = services.forget_visitor(
        state.profile.visitor_id if state.profile else None, request.user, DataRequestChannel.API
    )
    state.forget()
    mark_erased(request)
    return Forgotten(forgotten=True, records_deleted=sum(erased.values()), erased=erased)
