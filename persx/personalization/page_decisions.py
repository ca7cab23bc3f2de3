"""The decisions of one page view: who we render for, and what each block served.

A profiled visitor's page also carries the running experiments (an in-process snapshot) and
the global holdout, so each block can be decided without SQL. Staff preview and the Wagtail
preview modes carry neither: they show what the audience sees when personalized.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from django.http import HttpRequest

from persx.config import config
from persx.engine.decision_budget import DecisionBudget
from persx.engine.experiments import ExperimentDefinition, Holdout
from persx.engine.profile import VisitorProfile
from persx.experiments.repository import running_experiments
from persx.personalization.preview import preview_profile

logger = logging.getLogger("persx.personalization")


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
    experiments: tuple[ExperimentDefinition, ...] = ()
    holdout: Holdout | None = None
    # The running experiments could not be loaded: every block serves generic (reason
    # ``error``) rather than risk showing personalized content to a control arm.
    experiments_unavailable: bool = False

    @property
    def held_out(self) -> bool:
        """This visitor is in the global holdout: everything personal is switched off."""
        return bool(
            self.holdout is not None
            and self.profile is not None
            and self.holdout.holds_out(self.profile.visitor_id)
        )

    @property
    def ranking_profile(self) -> VisitorProfile | None:
        """The profile to order tagged content by: none when switched off or held out."""
        return self.profile if self.enabled and not self.held_out else None

    def as_log(self) -> list[dict[str, str]]:
        lines = []
        for s in self.served:
            line = {"block": s.block_type, "variant": s.variant_key, "reason": s.reason}
            if s.experiment is not None:
                line.update(experiment=s.experiment, arm=s.arm or "", would_be=s.would_be or "")
            lines.append(line)
        return lines


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
    if profile is not None and preview is None and decisions.enabled:
        _add_measurement(decisions, conf.holdout_seed, conf.holdout_share)
    if request is not None:
        request.persx = decisions  # type: ignore[attr-defined]
    return decisions


def _add_measurement(decisions: PageDecisions, holdout_seed: str, holdout_share: float) -> None:
    """Attach the global holdout and the running experiments (cached: no SQL once warm)."""
    if holdout_share > 0:
        decisions.holdout = Holdout(holdout_seed, holdout_share)
    try:
        decisions.experiments = running_experiments()
    except Exception:
        logger.exception("running experiments unavailable; serving generic")
        decisions.experiments_unavailable = True


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
