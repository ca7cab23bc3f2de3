"""The "Visitor inference" admin page (only for users who may see measurement)."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view
from persx.access.measurement import MeasurementOnlyMenuItem


def register_admin_urls() -> list[URLPattern]:
    return [
        path("inference/", lazy_view("persx.inference.views.InferenceView"), name="persx_inference")
    ]


def register_menu_item() -> MenuItem:
    return MeasurementOnlyMenuItem(
        "Visitor inference",
        reverse_lazy("persx_inference"),
        name="persx-inference",
        icon_name="user",
        order=330,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_menu_item)
