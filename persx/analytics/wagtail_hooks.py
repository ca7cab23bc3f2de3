"""The "Measurement" admin menu: experiment and bandit reports, the personalization overview.

Admin URLs registered here are only served to users who may access the Wagtail admin.
"""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from persx.access.lazy_view import lazy_view
from persx.analytics.permissions import MeasurementMenuItem


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "measurement/experiments/",
            lazy_view("persx.analytics.views.ReportIndexView"),
            name="persx_analytics_reports",
        ),
        path(
            "measurement/experiments/<slug:key>/",
            lazy_view("persx.analytics.views.ReportDetailView"),
            name="persx_analytics_report",
        ),
        path(
            "measurement/experiments/<slug:key>/report.csv",
            lazy_view("persx.analytics.views.report_csv_view"),
            name="persx_analytics_report_csv",
        ),
        path(
            "measurement/experiments/<slug:key>/report.json",
            lazy_view("persx.analytics.views.report_json_view"),
            name="persx_analytics_report_json",
        ),
        path(
            "measurement/bandits/",
            lazy_view("persx.analytics.bandit_views.BanditIndexView"),
            name="persx_analytics_bandits",
        ),
        path(
            "measurement/bandits/<slug:key>/",
            lazy_view("persx.analytics.bandit_views.BanditDetailView"),
            name="persx_analytics_bandit",
        ),
        path(
            "measurement/overview/",
            lazy_view("persx.analytics.views.OverviewView"),
            name="persx_analytics_overview",
        ),
    ]


def register_measurement_menu() -> SubmenuMenuItem:
    # Other apps add entries with hooks.register("register_measurement_menu_item", ...).
    menu = Menu(
        register_hook_name="register_measurement_menu_item",
        items=[
            MenuItem(
                "Personalization overview",
                reverse_lazy("persx_analytics_overview"),
                name="persx-overview",
                icon_name="view",
                order=100,
            ),
            MenuItem(
                "Experiment reports",
                reverse_lazy("persx_analytics_reports"),
                name="persx-experiment-reports",
                icon_name="tasks",
                order=200,
            ),
            MenuItem(
                "Bandit reports",
                reverse_lazy("persx_analytics_bandits"),
                name="persx-bandit-reports",
                icon_name="pick",
                order=300,
            ),
        ],
    )
    return MeasurementMenuItem(
        "Measurement", menu, name="measurement", icon_name="table", order=320
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_measurement_menu)
