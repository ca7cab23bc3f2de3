"""What every public template knows about personalization: the profile summary, the
sessionStorage mirror, and the catalog's industries for the one-question prompts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from persx.catalog.repository import current_catalog
from persx.engine.catalog import Catalog
from persx.engine.profile import VisitorProfile
from persx.http.visitor import VisitorState, visitor
from persx.personalization.context import personalization_of


def _summary(
    profile: VisitorProfile | None, state: VisitorState, catalog: Catalog
) -> dict[str, Any] | None:
    if profile is None:
        return None
    industry = catalog.industry(profile.industry)
    persona = catalog.persona(profile.persona)
    return {
        "industry": industry,
        "persona": persona,
        "confidence": profile.persona_confidence,
        "needs_reconfirmation": state.needs_reconfirmation,
        "mirror": {
            "industry": profile.industry,
            "goals": list(profile.goals),
            "tools": list(profile.tools),
            "role": profile.role,
        },
    }


def personalization(request: HttpRequest) -> dict[str, Any]:
    try:
        catalog = current_catalog()
        state = visitor(request)
        context = personalization_of(request)
        # A staff preview shows the previewed visitor's chrome too, not the editor's own.
        if context.preview is not None:
            shown, state = context.profile, VisitorState()
        else:
            shown = state.profile
        return {
            "persx_profile": _summary(shown, state, catalog),
            "persx_preview": context.preview,
            "persx_industries": catalog.industries,
            "persx_catalog": catalog,
        }
    except Exception:  # never break a page over its chrome
        return {
            "persx_profile": None,
            "persx_preview": None,
            "persx_industries": (),
            "persx_catalog": None,
        }
