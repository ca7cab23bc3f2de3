"""An app's stated visitor as the profile a page view would carry (checked against the
catalog: an unknown industry or persona is a 422 naming the field)."""

from __future__ import annotations

from django.utils import timezone

from persx.catalog.repository import current_catalog
from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile
from persx.headless.schemas import StatedVisitor
from persx.http.errors import FieldError


def stated_profile(stated: StatedVisitor) -> VisitorProfile | None:
    """The profile of ``stated`` (None when it states neither industry nor persona: a
    visitor without a profile, as on the site)."""
    catalog = current_catalog()
    industry = stated.industry
    if industry is not None and catalog.industry(industry) is None:
        raise FieldError("visitor.industry", f"unknown industry '{industry}'")
    persona = stated.persona
    if persona is not None:
        found = catalog.persona(persona)
        if found is None:
            raise FieldError("visitor.persona", f"unknown persona '{persona}'")
        if industry is None:
            industry = found.industry
        elif found.industry != industry:
            raise FieldError(
                "visitor.persona", f"persona '{persona}' is not in industry '{industry}'"
            )
    if industry is None:
        return None
    now = timezone.now()
    return VisitorProfile(
        stated.id,
        industry=industry,
        persona=persona,
        persona_confidence=1.0 if persona else 0.0,
        industry_source=Provenance.START_FORM,  # stated by the visitor, as in the start form
        persona_source=Provenance.START_FORM if persona else None,
        set_at=now,
        updated_at=now,
        consent=ConsentState(stated.consent),
    )
