"""Every industry and persona of the current catalog as (audience key, label) choices."""

from __future__ import annotations

from persx.catalog.repository import current_catalog
from persx.engine.visitor.audience import challenger_key, industry_key, persona_key


def audience_choices() -> list[tuple[str, str]]:
    """For variant pickers and experiment arms: industries first, then personas, then the
    AI challengers of each (served only by an experiment's variant arm)."""
    catalog = current_catalog()
    industries = [(industry_key(i.slug), f"Industry · {i.name}") for i in catalog.industries]
    personas = []
    for p in catalog.personas:
        industry = catalog.industry(p.industry)
        suffix = f" ({industry.name})" if industry is not None else ""
        personas.append((persona_key(p.slug), f"Persona · {p.name}{suffix}"))
    challengers = [
        (challenger_key(key), f"{label} — AI challenger (only in an experiment)")
        for key, label in industries + personas
    ]
    return industries + personas + challengers
