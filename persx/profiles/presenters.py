"""Engine profile → the API/page view of the visitor's personalization state."""

from __future__ import annotations

from persx.engine.visitor.catalog import Catalog
from persx.profiles.schemas import NamedRef, PersonalizationState, PersonaRef
from persx.visitors.state import VisitorState


def personalization_state(state: VisitorState, catalog: Catalog) -> PersonalizationState:
    profile = state.profile
    if profile is None:
        return PersonalizationState(has_profile=False)
    industry = catalog.industry(profile.industry)
    persona = catalog.persona(profile.persona)
    return PersonalizationState(
        has_profile=True,
        visitor_id=profile.visitor_id,
        industry=NamedRef(slug=industry.slug, name=industry.name) if industry else None,
        persona=PersonaRef(
            slug=persona.slug, name=persona.name, confidence=profile.persona_confidence
        )
        if persona
        else None,
        goals=list(profile.goals),
        tools=list(profile.tools),
        role=profile.role,
        industry_source=profile.industry_source,
        layer=state.layer,
        set_at=profile.set_at,
        updated_at=profile.updated_at,
        needs_reconfirmation=state.needs_reconfirmation,
    )
