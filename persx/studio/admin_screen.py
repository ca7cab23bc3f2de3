"""The base of the studio's admin screens: an admin screen whose breadcrumbs lead back
through its parent screen (the coverage matrix unless a screen names another)."""

from __future__ import annotations

from persx.access.admin_screen import AdminScreen


class StudioScreen(AdminScreen):
    parent_url_name: str | None = "persx_studio_coverage"
    parent_label = "Variant coverage"
