"""What every public template knows about personalization: the profile summary, the
sessionStorage mirror, and the catalog's industries for the one-question prompts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from persx.catalog.repository import current_catalog
from persx.engine.learning.inference import describe_feature
from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.profile import VisitorProfile
from persx.inference.visitor_signals import signals_of
from persx.personalization.context import personalization_of
from persx.visitors.state import VisitorState, visitor


def _summary(
    profile: VisitorProfile | None, state: VisitorState, catalog: Catalog
) -> dict[str, Any] | None:
    if profile is None:
        return None
    industry = catalog.industry(profile.industry)
    persona = catalog.persona(profile.persona)
    inferred = state.layer == "inferred"
    return {
        "industry": industry,
        "persona": persona,
        "confidence": profile.persona_confidence,
        "needs_reconfirmation": state.needs_reconfirmation,
        # An inferred profile is a guess for this page: nothing to mirror or restore.
        "inferred": inferred,
        "mirror": None
        if inferred
        else {
            "industry": profile.industry,
            "goals": list(profile.goals),
            "tools": list(profile.tools),
            "role": profile.role,
        },
    }


def _inference(request: HttpRequest, catalog: Catalog) -> dict[str, Any] | None:
    """What the model said about this visitor on this request (``None``: not consulted)."""
    state = signals_of(request)
    outcome = state.inference if state is not None else None
    if outcome is None:
        return None
    candidate = catalog.industry(outcome.candidate)
    return {
        "abstained": outcome.abstained,
        "industry": candidate,
        "probability": outcome.probability,
        "persona": catalog.persona(outcome.persona),
        "persona_probability": outcome.persona_probability,
        "model_version": outcome.model_version,
        "top_signals": [
            {"feature": s.feature, "label": describe_feature(s.feature), "weight": s.weight}
            for s in outcome.top_signals
        ],
    }


def personalization(request: HttpRequest) -> dict[str, Any]:
    try:
        catalog = current_catalog()
        state = visitor(request)
        context = personalization_of(request)
        own = _summary(state.profile, state, catalog)
        # A staff preview shows the previewed visitor's page, chrome included (header chip,
        # "for you" wording); the editor's own profile stays in the admin bar and the mirror.
        if context.preview is not None:
            shown = _summary(context.profile, VisitorState(), catalog)
        else:
            shown = own
        return {
            "persx_profile": shown,
            "persx_own_profile": own,
            "persx_preview": context.preview,
            "persx_industries": catalog.industries,
            "persx_catalog": catalog,
            "persx_inference": _inference(request, catalog) if context.preview is None else None,
        }
    except Exception:  # never break a page over its chrome
        return {
            "persx_profile": None,
            "persx_own_profile": None,
            "persx_preview": None,
            "persx_industries": (),
            "persx_catalog": None,
            "persx_inference": None,
        }
