"""The base of the measurement screens (reports, overview, bandits, health, weekly reports,
inference, persona review): a Wagtail admin page that answers 403 without the measurement
permission, with breadcrumbs that lead back through its parent screen when it names one."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from persx.access.measurement import MeasurementPermissionRequired


class MeasurementScreen(MeasurementPermissionRequired, WagtailAdminTemplateMixin, TemplateView):
    parent_url_name: str | None = None  # e.g. the list a detail screen belongs to
    parent_label = ""

    def crumb_label(self) -> str:
        return str(self.get_page_title())

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        parent = (
            [{"url": reverse(self.parent_url_name), "label": self.parent_label}]
            if self.parent_url_name
            else []
        )
        return [*self.breadcrumbs_items, *parent, {"url": "", "label": self.crumb_label()}]
