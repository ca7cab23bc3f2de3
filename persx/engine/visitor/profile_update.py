"""Applying a visitor's explicit choices (start form, API, ``?industry=``) to a profile."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from persx.engine.visitor.catalog import Catalog
from persx.engine.visitor.persona_scoring import DEFAULT_THRESHOLD, score_personas
from persx.engine.visitor.profile import ConsentState, Provenance, VisitorProfile


class UnknownIndustryError(ValueError):
    pass


def apply_choices(
    catalog: Catalog,
    current: VisitorProfile | None,
    visitor_id: str,
    industry: str,
    now: datetime,
    source: Provenance,
    goals: Iterable[str] | None = None,
    tools: Iterable[str] | None = None,
    role: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> VisitorProfile:
    """Return the profile after the visitor's choice; ``None`` arguments keep current values.

    The persona is re-scored from industry + goals + tools + role; below ``threshold`` the
    profile stays industry-level.
    """
    if catalog.industry(industry) is None:
        raise UnknownIndustryError(industry)
    goal_slugs = catalog.goal_slugs()
    tool_slugs = catalog.tool_slugs()
    kept_goals = current.goals if current else ()
    kept_tools = current.tools if current else ()
    new_goals = tuple(dict.fromkeys(g for g in (goals if goals is not None else kept_goals)))
    new_tools = tuple(dict.fromkeys(t for t in (tools if tools is not None else kept_tools)))
    new_goals = tuple(g for g in new_goals if g in goal_slugs)
    new_tools = tuple(t for t in new_tools if t in tool_slugs)
    new_role = role if role is not None else (current.role if current else "")
    match = score_personas(catalog, industry, new_goals, new_tools, new_role, threshold)
    return VisitorProfile(
        visitor_id=current.visitor_id if current else visitor_id,
        industry=industry,
        persona=match.persona,
        persona_confidence=match.confidence if match.persona else 0.0,
        goals=new_goals,
        tools=new_tools,
        role=new_role,
        industry_source=source,
        persona_source=Provenance.INFERRED if match.persona else None,
        set_at=current.set_at if current and current.set_at else now,
        updated_at=now,
        consent=current.consent if current else ConsentState.UNKNOWN,
    )
