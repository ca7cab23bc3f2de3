"""The base of PersX's own admin screens: a Wagtail admin page (its template, header and
breadcrumbs) whose breadcrumbs lead back through its parent screen when it names one.

The studio's screens (``persx.studio.admin_screen.StudioScreen``) and the measurement
screens (:class:`persx.access.measurement_screen.MeasurementScreen`) extend it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin


class AdminScreen(WagtailAdminTemplateMixin, TemplateView):
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
