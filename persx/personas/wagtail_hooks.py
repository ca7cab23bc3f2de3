"""The "Persona review" admin page (only for users who may see measurement)."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view
from persx.access.measurement import MeasurementOnlyMenuItem


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "persona-review/",
            lazy_view("persx.personas.views.PersonaReviewView"),
            name="persx_persona_review",
        ),
        path(
            "persona-review/review.<str:fmt>",
            lazy_view("persx.personas.views.review_download"),
            name="persx_persona_review_download",
        ),
    ]


def register_menu_item() -> MenuItem:
    return MeasurementOnlyMenuItem(
        "Persona review",
        reverse_lazy("persx_persona_review"),
        name="persx-persona-review",
        icon_name="group",
        order=340,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_menu_item)
