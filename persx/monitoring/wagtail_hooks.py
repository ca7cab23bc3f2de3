"""The "Health" admin menu: the dashboard, weekly reports, alert rules and incidents."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from persx.access.lazy_view import lazy_view
from persx.analytics.permissions import MeasurementMenuItem
from persx.monitoring.admin_viewsets import AlertRuleViewSet, IncidentViewSet

alert_rules = AlertRuleViewSet()
incidents = IncidentViewSet()


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "health/",
            lazy_view("persx.monitoring.views.HealthView"),
            name="persx_monitoring_health",
        ),
        path(
            "health/reports/",
            lazy_view("persx.monitoring.views.WeeklyReportIndexView"),
            name="persx_monitoring_weekly_reports",
        ),
        path(
            "health/reports/<int:pk>/",
            lazy_view("persx.monitoring.views.WeeklyReportDetailView"),
            name="persx_monitoring_weekly_report",
        ),
    ]


def register_health_menu() -> SubmenuMenuItem:
    menu = Menu(
        items=[
            MenuItem(
                "Personalization health",
                reverse_lazy("persx_monitoring_health"),
                name="persx-health",
                icon_name="pick",
                order=100,
            ),
            MenuItem(
                "Weekly reports",
                reverse_lazy("persx_monitoring_weekly_reports"),
                name="persx-weekly-reports",
                icon_name="doc-full",
                order=200,
            ),
            MenuItem(
                "Alert rules",
                reverse_lazy(alert_rules.get_url_name("index")),
                name="persx-alert-rules",
                icon_name="warning",
                order=300,
            ),
            MenuItem(
                "Incidents",
                reverse_lazy(incidents.get_url_name("index")),
                name="persx-incidents",
                icon_name="warning",
                order=400,
            ),
        ]
    )
    return MeasurementMenuItem("Health", menu, name="health", icon_name="pick", order=330)


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_health_menu)
hooks.register("register_admin_viewset", lambda: alert_rules)
hooks.register("register_admin_viewset", lambda: incidents)
