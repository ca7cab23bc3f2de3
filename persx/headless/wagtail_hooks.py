"""The "App keys" admin screen, under Settings (superusers only)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.headless.key_admin import AppKeysScreen, RevokeKey


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(request.user.is_superuser)


def register_admin_urls() -> list[URLPattern]:
    return [
        path("app-keys/", AppKeysScreen.as_view(), name="persx_app_keys"),
        path("app-keys/<int:pk>/revoke/", RevokeKey.as_view(), name="persx_app_key_revoke"),
    ]


def register_settings_item() -> MenuItem:
    return SuperuserMenuItem(
        "App keys", reverse_lazy("persx_app_keys"), name="persx-app-keys", icon_name="key"
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_settings_menu_item", register_settings_item)
