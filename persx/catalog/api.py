"""/api/catalog: the industries, personas, goals and tools a visitor can choose from."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from persx.catalog.repository import current_catalog

router = Router(tags=["catalog"])


class IndustryOut(Schema):
    slug: str
    name: str
    tagline: str


class PersonaOut(Schema):
    slug: str
    industry: str
    name: str
    role: str
    summary: str
    goals: list[str]
    tools: list[str]


class OptionOut(Schema):
    slug: str
    label: str


class CatalogOut(Schema):
    version: str
    industries: list[IndustryOut]
    personas: list[PersonaOut]
    goals: list[OptionOut]
    tools: list[OptionOut]


@router.get("/catalog", response=CatalogOut)
def get_catalog(request: HttpRequest) -> CatalogOut:
    catalog = current_catalog()
    return CatalogOut(
        version=catalog.version,
        industries=[
            IndustryOut(slug=i.slug, name=i.name, tagline=i.tagline) for i in catalog.industries
        ],
        personas=[
            PersonaOut(
                slug=p.slug,
                industry=p.industry,
                name=p.name,
                role=p.role,
                summary=p.summary,
                goals=list(p.goals),
                tools=list(p.tools),
            )
            for p in catalog.personas
        ],
        goals=[OptionOut(slug=g.slug, label=g.label) for g in catalog.goals],
        tools=[OptionOut(slug=t.slug, label=t.label) for t in catalog.tools],
    )
