"""Alert judgement: when a health measure is evidence of a problem, and an incident's life.

Pure functions over plain values (the clock comes in as ``now``):

- :func:`wilson_interval` — the 95% Wilson score interval of a rate. Rates are judged on it,
  not on the point estimate: a personalization-rate rule "below 70%" fires only when the
  *upper* bound is below 70%, so 2 of 3 visitors never page anyone.
- :func:`judge` — one scope (the site or one industry) against a rule: ``firing``,
  ``clear`` (past the clear level, the hysteresis), ``holding`` (in between) or
  ``insufficient`` (fewer observations than the rule's minimum sample).
- :func:`step` — the incident's life: it opens once after the condition has held for the
  rule's "for" duration, stays open while any scope is not clear, and resolves once every
  affected scope is clear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Interval:
    estimate: float
    lower: float
    upper: float


def wilson_interval(successes: int, trials: int, z: float = Z95) -> Interval:
    """Wilson score interval of ``successes / trials`` (trials > 0)."""
    if trials <= 0:
        raise ValueError("trials must be positive")
    if not 0 <= successes <= trials:
        raise ValueError("successes must be between 0 and trials")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


class Judgement(StrEnum):
    FIRING = "firing"
    HOLDING = "holding"
    CLEAR = "clear"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True, slots=True)
class Threshold:
    """``below``: fires when the measure is confidently below ``level``; ``above``: above."""

    below: bool
    level: float
    clear_level: float
    min_sample: int


@dataclass(frozen=True, slots=True)
class Observation:
    """A measure in one scope: the estimate, the bounds that judge it, and its sample size.

    For a rate the bounds are its interval; for a plain value (a p-value, a count, a ratio)
    both bounds are the value itself.
    """

    estimate: float
    lower: float
    upper: float
    n: int

    @classmethod
    def rate(cls, successes: int, trials: int) -> Observation:
        if trials <= 0:
            return cls(math.nan, 0.0, 1.0, 0)
        interval = wilson_interval(successes, trials)
        return cls(interval.estimate, interval.lower, interval.upper, trials)

    @classmethod
    def value(cls, value: float, n: int) -> Observation:
        return cls(value, value, value, n)


def judge(observation: Observation, threshold: Threshold) -> Judgement:
    if observation.n < threshold.min_sample or observation.n <= 0:
        return Judgement.INSUFFICIENT
    if threshold.below:
        if observation.upper < threshold.level:
            return Judgement.FIRING
        if observation.estimate >= threshold.clear_level:
            return Judgement.CLEAR
        return Judgement.HOLDING
    if observation.lower > threshold.level:
        return Judgement.FIRING
    if observation.estimate <= threshold.clear_level:
        return Judgement.CLEAR
    return Judgement.HOLDING


class Action(StrEnum):
    NOTHING = "nothing"
    PENDING = "pending"  # the condition holds, not yet for the "for" duration
    OPEN = "open"
    UPDATE = "update"  # an open incident stays open
    RESOLVE = "resolve"


@dataclass(frozen=True, slots=True)
class Step:
    action: Action
    condition_since: datetime | None


def step(
    *,
    incident_open: bool,
    condition_since: datetime | None,
    judgements: dict[str, Judgement],
    affected: frozenset[str],
    now: datetime,
    hold_for: timedelta,
) -> Step:
    """The next state of one rule from this pass's judgement of every scope.

    ``affected``: the scopes of the open incident (empty when none is open). An open
    incident resolves only when each affected scope is judged ``clear`` and none fires; a
    scope without enough data keeps it open (no evidence that it cleared).
    """
    firing = any(j is Judgement.FIRING for j in judgements.values())
    if incident_open:
        cleared = all(judgements.get(scope) is Judgement.CLEAR for scope in affected)
        if cleared and not firing:
            return Step(Action.RESOLVE, None)
        return Step(Action.UPDATE, None)
    if not firing:
        return Step(Action.NOTHING, None)
    since = condition_since or now
    if now - since >= hold_for:
        return Step(Action.OPEN, None)
    return Step(Action.PENDING, since)
