"""The "Data requests" admin menu item (only for users with its permission)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view


class DataRequestsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        from persx.privacy.admin_views import can_handle_data_requests

        return can_handle_data_requests(request)


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "data-requests/",
            lazy_view("persx.privacy.admin_views.data_requests"),
            name="persx_privacy_data_requests",
        )
    ]


def register_menu_item() -> MenuItem:
    return DataRequestsMenuItem(
        "Data requests",
        reverse("persx_privacy_data_requests"),
        name="persx-data-requests",
        icon_name="lock",
        order=900,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_menu_item)
