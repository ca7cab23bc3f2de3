"""Fact sheets as the drafting port needs them: the stored sheet for an audience, or (none
stored yet) one derived from the catalog (version 0: pains, goals, tools, no proof points,
so a draft can make no figure or customer claim until an editor approves some)."""

from __future__ import annotations

from persx.catalog.repository import current_catalog
from persx.engine.drafting.port import FactSheet
from persx.engine.visitor.audience import parse_audience
from persx.studio.models import FactSheet as StoredFactSheet


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def fact_sheet_for(audience: str) -> FactSheet:
    stored = StoredFactSheet.objects.filter(audience=audience).first()
    if stored is not None:
        return FactSheet(
            audience=audience,
            version=stored.version,
            summary=stored.summary,
            pains=_lines(stored.pains),
            goals=_lines(stored.goals),
            tools=_lines(stored.tools),
            proof_points=_lines(stored.proof_points),
            customers=_lines(stored.customers),
            certifications=_lines(stored.certifications),
            words_to_avoid=_lines(stored.words_to_avoid),
            tone=stored.tone,
        )
    catalog = current_catalog()
    parsed = parse_audience(audience)
    if parsed is None:
        raise ValueError(f"audience: unknown audience '{audience}'")
    kind, slug = parsed
    goal_labels = {g.slug: g.label for g in catalog.goals}
    tool_labels = {t.slug: t.label for t in catalog.tools}
    if kind == "persona" and (persona := catalog.persona(slug)) is not None:
        return FactSheet(
            audience=audience,
            version=0,
            summary=f"{persona.name}, {persona.role}. {persona.summary}",
            pains=persona.pain_points,
            goals=tuple(goal_labels.get(g, g) for g in persona.goals),
            tools=tuple(tool_labels.get(t, t) for t in persona.tools),
        )
    industry = catalog.industry(slug)
    if industry is None:
        raise ValueError(f"audience: unknown audience '{audience}'")
    return FactSheet(
        audience=audience,
        version=0,
        summary=f"{industry.name}: {industry.tagline} {industry.description}".strip(),
    )
