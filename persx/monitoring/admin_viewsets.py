"""Alert rules (editable) and incidents (read-only) in the Wagtail admin."""

from __future__ import annotations

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
    model = Incident
    icon = "warning"
    menu_label = "Incidents"
    name = "incidents"
    add_to_admin_menu = False
    list_display = ["rule", "summary", "started_at", "resolved_at"]
    list_filter = ["rule"]
    inspect_view_enabled = True
    form_fields = ["summary"]
