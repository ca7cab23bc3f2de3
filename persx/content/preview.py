"""Wagtail preview modes: "preview as industry X / persona Y" (and generic) in the admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from persx.engine.audience import GENERIC


class PersonalizedPreviewMixin:
    @property
    def preview_modes(self) -> list[tuple[str, str]]:
        from persx.catalog.repository import current_catalog

        catalog = current_catalog()
        modes = [(GENERIC, "Generic (no profile)")]
        modes += [(f"industry:{i.slug}", f"As {i.name}") for i in catalog.industries]
        modes += [(f"persona:{p.slug}", f"As {p.name}") for p in catalog.personas]
        return modes

    @property
    def default_preview_mode(self) -> str:
        return GENERIC

    def serve_preview(self, request: HttpRequest, mode_name: str) -> HttpResponse:
        from persx.personalization.page_decisions import force_audience

        force_audience(request, mode_name)
        parent: Any = super()
        return parent.serve_preview(request, mode_name)
