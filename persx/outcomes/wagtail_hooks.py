"""The "CRM integrations" (editors with the permission) and "Pipeline match" (measurement)
admin screens."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view
from persx.access.measurement import MeasurementOnlyMenuItem


class IntegrationsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        from persx.outcomes.views import can_manage_integrations

        return can_manage_integrations(request)


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "outcomes/integrations/",
            lazy_view("persx.outcomes.views.IntegrationsView"),
            name="persx_outcomes_integrations",
        ),
        path(
            "outcomes/match/",
            lazy_view("persx.outcomes.views.MatchReportView"),
            name="persx_outcomes_match",
        ),
        path(
            "outcomes/match.json",
            lazy_view("persx.outcomes.views.match_report_json"),
            name="persx_outcomes_match_json",
        ),
    ]


def register_integrations_menu_item() -> MenuItem:
    return IntegrationsMenuItem(
        "CRM integrations",
        reverse_lazy("persx_outcomes_integrations"),
        name="persx-crm-integrations",
        icon_name="key",
        order=910,
    )


def register_match_menu_item() -> MenuItem:
    return MeasurementOnlyMenuItem(
        "Pipeline match",
        reverse_lazy("persx_outcomes_match"),
        name="persx-pipeline-match",
        icon_name="link",
        order=340,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_integrations_menu_item)
hooks.register("register_admin_menu_item", register_match_menu_item)
