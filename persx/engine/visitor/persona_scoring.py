"""Persona assignment from industry + goals + tools (+ role), with a confidence score.

Each persona of the chosen industry gets a raw score: the share of its goals the visitor
picked (weight 0.5), the share of its tools (0.3) and whether the stated role matches one
of its role keywords (0.2). Confidence = (best / sum of raw scores) × min(1, best / 0.5):
how clearly the best persona wins, times how much of it the visitor actually matched.
Below the threshold the profile stays industry-level (no persona).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from persx.engine.visitor.catalog import Catalog, Persona

GOAL_WEIGHT = 0.5
TOOL_WEIGHT = 0.3
ROLE_WEIGHT = 0.2
FULL_EVIDENCE = 0.5
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class PersonaScore:
    persona: str
    raw: float


@dataclass(frozen=True, slots=True)
class PersonaMatch:
    persona: str | None
    confidence: float
    scores: tuple[PersonaScore, ...]


def _share(picked: frozenset[str], wanted: Iterable[str]) -> float:
    wanted_set = frozenset(wanted)
    if not wanted_set:
        return 0.0
    return len(picked & wanted_set) / len(wanted_set)


def _role_matches(role: str, persona: Persona) -> bool:
    text = role.casefold()
    return bool(text) and any(k.casefold() in text for k in persona.role_keywords)


def raw_score(persona: Persona, goals: frozenset[str], tools: frozenset[str], role: str) -> float:
    return (
        GOAL_WEIGHT * _share(goals, persona.goals)
        + TOOL_WEIGHT * _share(tools, persona.tools)
        + ROLE_WEIGHT * (1.0 if _role_matches(role, persona) else 0.0)
    )


def score_personas(
    catalog: Catalog,
    industry: str,
    goals: Iterable[str] = (),
    tools: Iterable[str] = (),
    role: str = "",
    threshold: float = DEFAULT_THRESHOLD,
) -> PersonaMatch:
    """Score the industry's personas; return the best one if its confidence clears ``threshold``."""
    goal_set, tool_set = frozenset(goals), frozenset(tools)
    scores = tuple(
        sorted(
            (
                PersonaScore(p.slug, raw_score(p, goal_set, tool_set, role))
                for p in catalog.personas_for(industry)
            ),
            key=lambda s: (-s.raw, s.persona),
        )
    )
    total = sum(s.raw for s in scores)
    if not scores or total <= 0.0:
        return PersonaMatch(None, 0.0, scores)
    best = scores[0]
    confidence = round((best.raw / total) * min(1.0, best.raw / FULL_EVIDENCE), 4)
    return PersonaMatch(best.persona if confidence >= threshold else None, confidence, scores)
