"""Previews: see any industry, persona or generic without touching anyone's profile.

Staff preview: ``?persx_preview=industry:saas`` (or ``persona:<slug>`` / ``generic``) stores
the choice in the staff member's session; ``?persx_preview=off`` ends it. Ignored for
everyone else. Wagtail's preview modes (and the studio) preview an audience key directly
through ``context.use_preview``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from persx.catalog.repository import current_catalog
from persx.engine.visitor.audience import GENERIC, parse_audience
from persx.engine.visitor.profile import VisitorProfile

PARAM = "persx_preview"
SESSION_KEY = "persx_preview"
PREVIEW_VISITOR_ID = "staff-preview"


@dataclass(frozen=True)
class Preview:
    key: str
    profile: VisitorProfile | None


def _is_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff)


def update_preview_from_query(request: HttpRequest) -> None:
    """Store or clear the staff preview named in the query string (staff only)."""
    wanted = request.GET.get(PARAM)
    if wanted is None or not _is_staff(request):
        return
    if wanted == "off":
        request.session.pop(SESSION_KEY, None)
    elif wanted == GENERIC or current_catalog().is_valid_audience(wanted):
        request.session[SESSION_KEY] = wanted


def staff_preview(request: HttpRequest) -> Preview | None:
    """The staff member's stored preview, if any (None for everyone else)."""
    session = getattr(request, "session", None)
    if session is None or not session.session_key or not _is_staff(request):
        return None
    key = session.get(SESSION_KEY)
    if not key:
        return None
    if key != GENERIC and not current_catalog().is_valid_audience(key):
        return None
    return audience_preview(key)


def audience_preview(key: str) -> Preview:
    """A preview of ``key``: a stand-in profile for an audience (none for ``generic``)."""
    return Preview(key, audience_profile(key))


def audience_profile(key: str) -> VisitorProfile | None:
    """A stand-in profile for an audience key (``generic`` and unknown keys → None)."""
    parsed = parse_audience(key)
    if parsed is None:
        return None
    catalog = current_catalog()
    kind, slug = parsed
    if kind == "industry" and catalog.industry(slug):
        return VisitorProfile(PREVIEW_VISITOR_ID, industry=slug)
    persona = catalog.persona(slug)
    if kind == "persona" and persona:
        return VisitorProfile(PREVIEW_VISITOR_ID, industry=persona.industry, persona=slug)
    return None
