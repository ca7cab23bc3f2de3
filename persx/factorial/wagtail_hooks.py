"""Factorial experiments in the Wagtail admin: the "Factorial tests" list and edit form (the
status panel every kind shares), and their reports under Measurement."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from persx.access.lazy_view import lazy_view
from persx.analytics.permissions import can_view_measurement
from persx.experiments.wagtail_hooks import status_panel
from persx.factorial.forms import FactorialForm
from persx.factorial.models import FactorialExperiment


class FactorialViewSet(SnippetViewSet):
    model = FactorialExperiment
    icon = "table"
    menu_label = "Factorial tests"
    menu_order = 312
    add_to_admin_menu = True
    list_display = ["name", "key", "status", "started_at"]
    list_filter = ["status"]
    search_fields = ["name", "key", "hypothesis"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("name"), FieldPanel("key"), FieldPanel("hypothesis")],
                heading="Factorial experiment",
            ),
            status_panel("Starting stamps the start time; stopping stamps the stop time."),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("factor_1_block"), FieldPanel("factor_1_options")]),
                    FieldRowPanel([FieldPanel("factor_2_block"), FieldPanel("factor_2_options")]),
                    FieldRowPanel([FieldPanel("factor_3_block"), FieldPanel("factor_3_options")]),
                ],
                heading="Blocks and their options",
                help_text="Every combination of one option per block is served to an equal "
                "share of visitors. Fixed once the experiment has run. An experiment that "
                "covers the same block takes precedence over this one.",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("primary_metric"),
                    FieldPanel("randomization_unit"),
                    FieldPanel("coverage"),
                    FieldPanel("bucket_version"),
                ],
                heading="Measurement and assignment",
            ),
        ],
        base_form_class=FactorialForm,
    )


register_snippet(FactorialViewSet)


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "measurement/factorial/",
            lazy_view("persx.factorial.views.FactorialIndexView"),
            name="persx_factorial_reports",
        ),
        path(
            "measurement/factorial/<slug:key>/",
            lazy_view("persx.factorial.views.FactorialReportView"),
            name="persx_factorial_report",
        ),
    ]


class FactorialReportsMenuItem(MenuItem):
    """The reports' menu entry, shown only to users who may see measurement."""

    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_measurement(request)


def register_reports_menu_item() -> MenuItem:
    return FactorialReportsMenuItem(
        "Factorial reports",
        reverse_lazy("persx_factorial_reports"),
        name="persx-factorial-reports",
        icon_name="table",
        order=321,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_reports_menu_item)
