"""The decisions of one page view: who we render for, and what each block served."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.http import HttpRequest

from persx.config import config
from persx.engine.decision_budget import DecisionBudget
from persx.engine.profile import VisitorProfile
from persx.personalization.preview import preview_profile


@dataclass(frozen=True, slots=True)
class ServedBlock:
    block_type: str
    variant_key: str
    reason: str
    experiment: str | None = None
    arm: str | None = None
    would_be: str | None = None


@dataclass
class PageDecisions:
    profile: VisitorProfile | None
    audience_keys: tuple[str, ...]
    enabled: bool
    budget: DecisionBudget
    preview: str | None = None
    served: list[ServedBlock] = field(default_factory=list)

    def as_log(self) -> list[dict[str, str]]:
        return [
            {"block": s.block_type, "variant": s.variant_key, "reason": s.reason}
            for s in self.served
        ]


def page_decisions(request: HttpRequest | None) -> PageDecisions:
    """This request's decisions, created on first use (one per request)."""
    existing: PageDecisions | None = getattr(request, "persx", None)
    if existing is not None:
        return existing
    conf = config()
    state = getattr(request, "visitor", None)
    profile: VisitorProfile | None = state.profile if state is not None else None
    preview = preview_profile(request) if request is not None else None
    if preview is not None:
        profile = preview.profile
    decisions = PageDecisions(
        profile=profile,
        audience_keys=profile.audience_keys() if profile else (),
        enabled=conf.personalization_enabled,
        budget=DecisionBudget(time.perf_counter, conf.decision_budget_ms / 1000.0),
        preview=preview.key if preview else None,
    )
    if request is not None:
        request.persx = decisions  # type: ignore[attr-defined]
    return decisions


def force_audience(request: HttpRequest, audience: str) -> PageDecisions:
    """Render this request as ``audience`` (admin preview modes); the real profile is untouched."""
    from persx.personalization.preview import audience_profile

    request.persx = None  # type: ignore[attr-defined]
    profile = audience_profile(audience)
    conf = config()
    decisions = PageDecisions(
        profile=profile,
        audience_keys=profile.audience_keys() if profile else (),
        enabled=True,
        budget=DecisionBudget(time.perf_counter, conf.decision_budget_ms / 1000.0),
        preview=audience,
    )
    request.persx = decisions  # type: ignore[attr-defined]
    return decisions
