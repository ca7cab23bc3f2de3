"""Measurement → Email: the sends and the email channel's PLI (views imported on their
first request, :mod:`persx.access.lazy_view`)."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view

VIEWS = "persx.email_delivery.admin_views"


def register_admin_urls() -> list[URLPattern]:
    return [
        path("measurement/email/", lazy_view(f"{VIEWS}.EmailScreen"), name="persx_email"),
        path(
            "measurement/email/report.json",
            lazy_view(f"{VIEWS}.report_json_view"),
            name="persx_email_report_json",
        ),
        path(
            "measurement/email/<int:pk>/", lazy_view(f"{VIEWS}.SendScreen"), name="persx_email_send"
        ),
        path(
            "measurement/email/<int:pk>/status.json",
            lazy_view(f"{VIEWS}.send_status_view"),
            name="persx_email_send_status",
        ),
    ]


def register_email_menu_item() -> MenuItem:
    return MenuItem(
        "Email", reverse_lazy("persx_email"), name="persx-email", icon_name="mail", order=450
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_measurement_menu_item", register_email_menu_item)
