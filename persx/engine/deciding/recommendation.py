"""Ordering tagged content (test ideas, related posts) "recommended for you"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.profile import VisitorProfile

INDUSTRY_WEIGHT = 4.0
GOAL_WEIGHT = 1.0
PERSONA_GOAL_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class TaggedItem:
    key: str
    industries: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RankedItem:
    key: str
    score: float
    matches_industry: bool


def rank_for_profile(
    items: Iterable[TaggedItem], profile: VisitorProfile | None, catalog: Catalog
) -> tuple[RankedItem, ...]:
    """Best match first; ties keep the editorial order of ``items``.

    Score = 4 × industry match + 1 per shared goal + 0.5 per goal of the visitor's persona.
    Without a profile every score is 0 and the editorial order stands.
    """
    visitor_goals = frozenset(profile.goals) if profile else frozenset()
    persona = catalog.persona(profile.persona) if profile else None
    persona_goals = frozenset(persona.goals) if persona else frozenset()
    industry = profile.industry if profile else None
    ranked: list[tuple[float, int, RankedItem]] = []
    for position, item in enumerate(items):
        matches = industry is not None and industry in item.industries
        item_goals = frozenset(item.goals)
        score = (
            (INDUSTRY_WEIGHT if matches else 0.0)
            + GOAL_WEIGHT * len(visitor_goals & item_goals)
            + PERSONA_GOAL_WEIGHT * len(persona_goals & item_goals)
        )
        ranked.append((-score, position, RankedItem(item.key, score, matches)))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return tuple(entry[2] for entry in ranked)
