"""Writes to the catalog: importing the versioned data file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from persx.catalog import models

DATA_FILE = Path(__file__).resolve().parent / "data" / "catalog.json"


@dataclass(frozen=True)
class ImportResult:
    version: str
    created: int
    updated: int


def _upsert(model: Any, slug: str, fields: dict[str, Any]) -> tuple[Any, bool, bool]:
    """Create or update one row by slug; return (row, created, changed)."""
    row = model.objects.filter(slug=slug).first()
    if row is None:
        return model.objects.create(slug=slug, **fields), True, False
    changed = False
    for name, value in fields.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.save()
    return row, False, changed


@transaction.atomic
def import_catalog(data: dict[str, Any]) -> ImportResult:
    """Load a catalog document; idempotent (a second run changes nothing).

    Rows missing from the document are kept: editors may have added them in the admin.
    """
    created = updated = 0

    def count(was_created: bool, changed: bool) -> None:
        nonlocal created, updated
        created += was_created
        updated += changed

    industries: dict[str, models.Industry] = {}
    for order, item in enumerate(data["industries"]):
        row, c, u = _upsert(
            models.Industry,
            item["slug"],
            {
                "name": item["name"],
                "tagline": item.get("tagline", ""),
                "description": item.get("description", ""),
                "sort_order": order,
            },
        )
        industries[row.slug] = row
        count(c, u)
    goals = {}
    for order, item in enumerate(data["goals"]):
        row, c, u = _upsert(
            models.Goal, item["slug"], {"label": item["label"], "sort_order": order}
        )
        goals[row.slug] = row
        count(c, u)
    tools = {}
    for order, item in enumerate(data["tools"]):
        row, c, u = _upsert(
            models.MartechTool,
            item["slug"],
            {"label": item["label"], "category": item.get("category", ""), "sort_order": order},
        )
        tools[row.slug] = row
        count(c, u)
    for order, item in enumerate(data["personas"]):
        row, c, u = _upsert(
            models.Persona,
            item["slug"],
            {
                "industry": industries[item["industry"]],
                "name": item["name"],
                "role": item["role"],
                "summary": item.get("summary", ""),
                "pain_points": "\n".join(item.get("pain_points", [])),
                "vocabulary": "\n".join(item.get("vocabulary", [])),
                "role_keywords": "\n".join(item.get("role_keywords", [])),
                "sort_order": order,
            },
        )
        wanted_goals = {goals[s].pk for s in item.get("goals", [])}
        wanted_tools = {tools[s].pk for s in item.get("tools", [])}
        m2m_changed = False
        if set(row.goals.values_list("pk", flat=True)) != wanted_goals:
            row.goals.set(wanted_goals)
            m2m_changed = True
        if set(row.tools.values_list("pk", flat=True)) != wanted_tools:
            row.tools.set(wanted_tools)
            m2m_changed = True
        count(c, u or (m2m_changed and not c))
    models.CatalogRelease.objects.get_or_create(version=data["version"])
    return ImportResult(data["version"], created, updated)


def import_catalog_file(path: Path = DATA_FILE) -> ImportResult:
    return import_catalog(json.loads(path.read_text(encoding="utf-8")))
