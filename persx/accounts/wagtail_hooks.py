"""The "Accounts" entry of the Measurement menu: the account list and one page per account
(views imported on their first request, :mod:`persx.access.lazy_view`)."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "measurement/accounts/",
            lazy_view("persx.accounts.admin_views.AccountListView"),
            name="persx_accounts_list",
        ),
        path(
            "measurement/accounts/<str:domain>/",
            lazy_view("persx.accounts.admin_views.AccountDetailView"),
            name="persx_accounts_detail",
        ),
    ]


def register_accounts_menu_item() -> MenuItem:
    return MenuItem(
        "Accounts",
        reverse_lazy("persx_accounts_list"),
        name="persx-accounts",
        icon_name="group",
        order=400,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_measurement_menu_item", register_accounts_menu_item)
