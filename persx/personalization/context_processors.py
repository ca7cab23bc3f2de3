"""What every public template knows about personalization: the profile summary, the
sessionStorage mirror, and the catalog's industries for the one-question prompts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from persx.catalog.repository import current_catalog
from persx.engine.catalog import Catalog
from persx.profiles.state import VisitorState


def _summary(state: VisitorState | None, catalog: Catalog) -> dict[str, Any] | None:
    profile = state.profile if state else None
    if profile is None:
        return None
    industry = catalog.industry(profile.industry)
    persona = catalog.persona(profile.persona)
    return {
        "industry": industry,
        "persona": persona,
        "confidence": profile.persona_confidence,
        "needs_reconfirmation": state.needs_reconfirmation if state else False,
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
        state: VisitorState | None = getattr(request, "visitor", None)
        return {
            "persx_profile": _summary(state, catalog),
            "persx_industries": catalog.industries,
            "persx_catalog": catalog,
        }
    except Exception:  # never break a page over its chrome
        return {"persx_profile": None, "persx_industries": (), "persx_catalog": None}
