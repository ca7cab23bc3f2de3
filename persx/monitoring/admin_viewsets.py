"""Alert rules (editable) and incidents (read-only) in the Wagtail admin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.viewsets.model import ModelViewSet

from persx.monitoring.models import AlertRule, Incident


class AlertRuleViewSet(ModelViewSet):
    model = AlertRule
    icon = "warning"
    menu_label = "Alert rules"
    name = "alert-rules"
    add_to_admin_menu = False
    list_display = ["name", "measure", "direction", "threshold", "window_minutes", "enabled"]
    list_filter = ["measure", "enabled"]
    panels = [
        FieldPanel("name"),
        FieldPanel("key"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("measure"), FieldPanel("direction")]),
        FieldRowPanel(
            [FieldPanel("threshold"), FieldPanel("clear_level"), FieldPanel("relative_to_baseline")]
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("window_minutes"),
                        FieldPanel("min_sample"),
                        FieldPanel("for_minutes"),
                    ]
                ),
                FieldRowPanel([FieldPanel("per_industry"), FieldPanel("enabled")]),
            ],
            heading="Evidence",
        ),
    ]


class IncidentViewSet(ModelViewSet):
    """Incidents are opened and resolved by the alert rules only (``persx_monitor``): the
    admin lists, inspects and annotates them, but has no "Add" (no button, no create or copy
    view, no add permission to grant)."""

    model = Incident
    icon = "warning"
    menu_label = "Incidents"
    name = "incidents"
    add_to_admin_menu = False
    list_display = ["rule", "summary", "started_at", "resolved_at"]
    list_filter = ["rule"]
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["summary"]

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_common_view_kwargs(**{"add_url_name": None, **kwargs})

    def get_urlpatterns(self) -> list[URLPattern | URLResolver]:
        return [p for p in super().get_urlpatterns() if getattr(p, "name", None) != "add"]

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        return super().get_permissions_to_register().exclude(codename="add_incident")
