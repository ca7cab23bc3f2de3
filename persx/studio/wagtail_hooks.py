"""The "Variant studio" admin menu: coverage matrix and side-by-side preview."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.studio import review_views, views


def register_admin_urls() -> list[URLPattern]:
    return [
        path("studio/coverage/", views.CoverageView.as_view(), name="persx_studio_coverage"),
        path("studio/coverage.csv", views.coverage_csv_view, name="persx_studio_coverage_csv"),
        path("studio/preview/", views.PreviewView.as_view(), name="persx_studio_preview"),
        path("studio/drafts/", review_views.DraftListView.as_view(), name="persx_studio_drafts"),
        path(
            "studio/drafts/<int:pk>/",
            review_views.DraftReviewView.as_view(),
            name="persx_studio_draft",
        ),
        path(
            "studio/preview/<int:page_id>/render/",
            views.render_preview_view,
            name="persx_studio_render",
        ),
    ]


def register_studio_menu() -> MenuItem:
    return MenuItem(
        "Variant studio",
        reverse_lazy("persx_studio_coverage"),
        name="variant-studio",
        icon_name="table",
        order=310,
    )


hooks.register("register_admin_urls", register_admin_urls)
hooks.register("register_admin_menu_item", register_studio_menu)
