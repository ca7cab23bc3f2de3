"""The visitor profile: who the visitor said (or we inferred) they are."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from persx.engine.visitor.audience import industry_key, persona_key


class Provenance(StrEnum):
    """Where a profile field came from."""

    START_FORM = "start_form"
    URL_PARAM = "url_param"
    INFERRED = "inferred"
    IP_LOOKUP = "ip_lookup"
    MANUAL = "manual"


class ConsentState(StrEnum):
    UNKNOWN = "unknown"
    GRANTED = "granted"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class VisitorProfile:
    visitor_id: str
    industry: str | None = None
    persona: str | None = None
    persona_confidence: float = 0.0
    goals: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    role: str = ""
    industry_source: Provenance | None = None
    persona_source: Provenance | None = None
    set_at: datetime | None = None
    updated_at: datetime | None = None
    consent: ConsentState = ConsentState.UNKNOWN

    @property
    def is_personalizable(self) -> bool:
        return self.industry is not None

    def audience_keys(self) -> tuple[str, ...]:
        """Variant keys this visitor matches, most specific first."""
        keys: list[str] = []
        if self.persona:
            keys.append(persona_key(self.persona))
        if self.industry:
            keys.append(industry_key(self.industry))
        return tuple(keys)

    def with_changes(self, **changes: object) -> VisitorProfile:
        return replace(self, **changes)  # type: ignore[arg-type]


def needs_reconfirmation(profile: VisitorProfile, now: datetime, max_age_days: int) -> bool:
    """A profile set longer ago than ``max_age_days`` is re-confirmed with one question."""
    stamp = profile.updated_at or profile.set_at
    if stamp is None or profile.industry is None:
        return False
    return now - stamp > timedelta(days=max_age_days)
