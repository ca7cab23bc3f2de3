"""VisitorProfileRecord rows ↔ engine VisitorProfile."""

from __future__ import annotations

from typing import Any

from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile
from persx.profiles.models import VisitorProfileRecord


def _provenance(value: str) -> Provenance | None:
    try:
        return Provenance(value) if value else None
    except ValueError:
        return None


def record_to_profile(record: VisitorProfileRecord) -> VisitorProfile:
    return VisitorProfile(
        visitor_id=record.visitor_id,
        industry=record.industry or None,
        persona=record.persona or None,
        persona_confidence=record.persona_confidence,
        goals=tuple(record.goals),
        tools=tuple(record.tools),
        role=record.role,
        industry_source=_provenance(record.industry_source),
        persona_source=_provenance(record.persona_source),
        set_at=record.set_at,
        updated_at=record.updated_at,
        consent=ConsentState(record.consent)
        if record.consent in ConsentState.__members__.values()
        else ConsentState.UNKNOWN,
    )


def profile_to_fields(profile: VisitorProfile) -> dict[str, Any]:
    return {
        "industry": profile.industry or "",
        "persona": profile.persona or "",
        "persona_confidence": profile.persona_confidence,
        "goals": list(profile.goals),
        "tools": list(profile.tools),
        "role": profile.role,
        "industry_source": profile.industry_source or "",
        "persona_source": profile.persona_source or "",
        "consent": str(profile.consent),
        "set_at": profile.set_at,
        "updated_at": profile.updated_at,
    }
