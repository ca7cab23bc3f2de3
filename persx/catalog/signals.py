"""Drop the cached catalog whenever an editor changes it."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from persx.catalog import models
from persx.catalog.repository import invalidate_catalog


def _invalidate(**_: Any) -> None:
    invalidate_catalog()


for _model in (models.Industry, models.Persona, models.Goal, models.MartechTool):
    post_save.connect(_invalidate, sender=_model, dispatch_uid=f"catalog-save-{_model.__name__}")
    post_delete.connect(_invalidate, sender=_model, dispatch_uid=f"catalog-del-{_model.__name__}")
for _through in (models.Persona.goals.through, models.Persona.tools.through):
    m2m_changed.connect(_invalidate, sender=_through, dispatch_uid=f"catalog-m2m-{_through}")
