"""Wagtail preview modes: "preview as industry X / persona Y" (and generic) in the admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from persx.catalog.repository import current_catalog
from persx.content.page_personalization import decide_page_blocks
from persx.engine.visitor.audience import GENERIC, industry_key, persona_key
from persx.personalization.context import use_preview


class PersonalizedPreviewMixin:
    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        catalog = current_catalog()
        modes = [(GENERIC, "Generic (no profile)")]
        modes += [(industry_key(i.slug), f"As {i.name}") for i in catalog.industries]
        modes += [(persona_key(p.slug), f"As {p.name}") for p in catalog.personas]
        return modes

    @property
    def default_preview_mode(self) -> str:
        return GENERIC

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        use_preview(request, mode_name)
        decide_page_blocks(request, self)
        parent: Any = super()
        return parent.serve_preview(request, mode_name)
