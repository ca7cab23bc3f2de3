"""A personalization decision and the reason codes that explain it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from persx.engine.visitor.audience import GENERIC, parse_audience


class Reason(StrEnum):
    PERSONA_MATCH = "persona_match"
    INDUSTRY_MATCH = "industry_match"
    NO_PROFILE = "no_profile"
    VARIANT_MISSING = "variant_missing"
    # The visitor's variant exists but is outside its live_from/live_until window.
    VARIANT_SCHEDULED = "variant_scheduled"
    EXPERIMENT_CONTROL = "experiment_control"
    HOLDOUT = "holdout"
    # A bandit chose the arm (adaptive allocation), or its holdback did (uniform at random).
    BANDIT = "bandit"
    BANDIT_HOLDBACK = "bandit_holdback"
    DISABLED = "disabled"
    ERROR = "error"
    TIMEOUT = "timeout"


@dataclass(frozen=True, slots=True)
class Decision:
    """Which variant a block shows, and why. ``variant_key`` is ``generic`` or an audience key."""

    variant_key: str
    reason: Reason
    arm: str | None = None
    experiment: str | None = None
    # What the visitor would have seen outside the experiment/holdout (control exposures
    # are "would have been personalized"), so arms stay comparable.
    would_be: str | None = None
    # A bandit's decision: the allocation version the arm came from (None otherwise).
    allocation_version: int | None = None

    @property
    def is_personalized(self) -> bool:
        return self.variant_key != GENERIC


def match_reason(variant_key: str) -> Reason:
    """The reason code of serving ``variant_key`` (a persona or an industry audience key)."""
    parsed = parse_audience(variant_key)
    return Reason.PERSONA_MATCH if parsed and parsed[0] == "persona" else Reason.INDUSTRY_MATCH


@dataclass(frozen=True, slots=True)
class ServedBlock:
    """One block of a rendered page and the decision it served (logged, exposed, shown)."""

    block_type: str
    decision: Decision

    @property
    def variant_key(self) -> str:
        return self.decision.variant_key

    @property
    def reason(self) -> Reason:
        return self.decision.reason

    @property
    def experiment(self) -> str | None:
        return self.decision.experiment

    @property
    def arm(self) -> str | None:
        return self.decision.arm

    @property
    def would_be(self) -> str | None:
        return self.decision.would_be

    @property
    def allocation_version(self) -> int | None:
        return self.decision.allocation_version


NO_PROFILE = Decision(GENERIC, Reason.NO_PROFILE)
VARIANT_MISSING = Decision(GENERIC, Reason.VARIANT_MISSING)
VARIANT_SCHEDULED = Decision(GENERIC, Reason.VARIANT_SCHEDULED)
DISABLED = Decision(GENERIC, Reason.DISABLED)
ERROR = Decision(GENERIC, Reason.ERROR)
TIMEOUT = Decision(GENERIC, Reason.TIMEOUT)
