"""ORM rows → engine catalog dataclasses."""

from __future__ import annotations

from persx.catalog import models
from persx.engine.visitor import catalog as engine


def load_catalog() -> engine.Catalog:
    """Read the whole catalog (5 queries) into one immutable engine snapshot."""
    industries = tuple(
        engine.Industry(i.slug, i.name, i.tagline, i.description)
        for i in models.Industry.objects.all()
    )
    goals = tuple(engine.Goal(g.slug, g.label) for g in models.Goal.objects.all())
    tools = tuple(
        engine.MartechTool(t.slug, t.label, t.category) for t in models.MartechTool.objects.all()
    )
    personas = tuple(
        engine.Persona(
            slug=p.slug,
            industry=p.industry.slug,
            name=p.name,
            role=p.role,
            summary=p.summary,
            goals=tuple(g.slug for g in p.goals.all()),
            tools=tuple(t.slug for t in p.tools.all()),
            pain_points=p.pain_point_list,
            vocabulary=p.vocabulary_list,
            role_keywords=p.role_keyword_list,
        )
        for p in models.Persona.objects.select_related("industry").prefetch_related(
            "goals", "tools"
        )
    )
    release = models.CatalogRelease.objects.first()
    version = release.version if release else "unreleased"
    return engine.Catalog(version, industries, personas, goals, tools)
