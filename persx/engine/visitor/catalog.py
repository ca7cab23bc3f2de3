"""The catalog contracts: industries, personas, goals and martech tools."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from persx.engine.visitor.audience import industry_key, persona_key


@dataclass(frozen=True, slots=True)
class Industry:
    slug: str
    name: str
    tagline: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Goal:
    slug: str
    label: str


@dataclass(frozen=True, slots=True)
class MartechTool:
    slug: str
    label: str
    category: str = ""


@dataclass(frozen=True, slots=True)
class Persona:
    slug: str
    industry: str
    name: str
    role: str
    summary: str = ""
    goals: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()
    vocabulary: tuple[str, ...] = ()
    role_keywords: tuple[str, ...] = ()


K = TypeVar("K")
V = TypeVar("V")


def _freeze(items: Mapping[K, V]) -> Mapping[K, V]:
    return MappingProxyType(dict(items))


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything a visitor can be: one immutable snapshot, versioned."""

    version: str
    industries: tuple[Industry, ...]
    personas: tuple[Persona, ...]
    goals: tuple[Goal, ...] = ()
    tools: tuple[MartechTool, ...] = ()
    _industry_by_slug: Mapping[str, Industry] = field(init=False, repr=False, compare=False)
    _persona_by_slug: Mapping[str, Persona] = field(init=False, repr=False, compare=False)
    _goal_slugs: frozenset[str] = field(init=False, repr=False, compare=False)
    _tool_slugs: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_industry_by_slug", _freeze({i.slug: i for i in self.industries}))
        object.__setattr__(self, "_persona_by_slug", _freeze({p.slug: p for p in self.personas}))
        object.__setattr__(self, "_goal_slugs", frozenset(g.slug for g in self.goals))
        object.__setattr__(self, "_tool_slugs", frozenset(t.slug for t in self.tools))

    def industry(self, slug: str | None) -> Industry | None:
        return self._industry_by_slug.get(slug) if slug else None

    def persona(self, slug: str | None) -> Persona | None:
        return self._persona_by_slug.get(slug) if slug else None

    def personas_for(self, industry: str) -> tuple[Persona, ...]:
        return tuple(p for p in self.personas if p.industry == industry)

    def goals_for(self, industry: str) -> tuple[str, ...]:
        """The goals the industry's personas work on, in persona order, each once."""
        return tuple(dict.fromkeys(g for p in self.personas_for(industry) for g in p.goals))

    def tools_for(self, industry: str) -> tuple[str, ...]:
        """The tools the industry's personas use, in persona order, each once."""
        return tuple(dict.fromkeys(t for p in self.personas_for(industry) for t in p.tools))

    def goal_slugs(self) -> frozenset[str]:
        return self._goal_slugs

    def tool_slugs(self) -> frozenset[str]:
        return self._tool_slugs

    def audience_keys(self) -> tuple[str, ...]:
        """Every valid variant audience, industries first."""
        return tuple(industry_key(i.slug) for i in self.industries) + tuple(
            persona_key(p.slug) for p in self.personas
        )

    def is_valid_audience(self, key: str) -> bool:
        kind, _, slug = key.partition(":")
        if kind == "industry":
            return slug in self._industry_by_slug
        if kind == "persona":
            return slug in self._persona_by_slug
        return False
