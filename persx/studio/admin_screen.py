"""The base of the studio's admin screens: a Wagtail admin page whose breadcrumbs lead back
through its parent screen (the coverage matrix unless a screen names another)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class StudioScreen(WagtailAdminTemplateMixin, TemplateView):
    parent_url_name: str | None = "persx_studio_coverage"
    parent_label = "Variant coverage"

    def crumb_label(self) -> str:
        return str(self.page_title)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        parent = (
            [{"url": reverse(self.parent_url_name), "label": self.parent_label}]
            if self.parent_url_name
            else []
        )
        return [*self.breadcrumbs_items, *parent, {"url": "", "label": self.crumb_label()}]
