"""The "Variant studio" admin menu: coverage matrix and side-by-side preview."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.studio import (
    batch_views,
    draft_views,
    fact_sheet_views,
    review_views,
    variant_views,
    views,
)


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
            "studio/drafts/request/",
            draft_views.request_draft_view,
            name="persx_studio_request_draft",
        ),
        path("studio/retire/", variant_views.retire_view, name="persx_studio_retire"),
        path(
            "studio/ai-vs-human/",
            variant_views.ai_vs_human_view,
            name="persx_studio_ai_vs_human",
        ),
        path(
            "studio/batches/new/", batch_views.BatchNewView.as_view(), name="persx_studio_batch_new"
        ),
        path(
            "studio/batches/<int:pk>/",
            batch_views.BatchDetailView.as_view(),
            name="persx_studio_batch",
        ),
        path(
            "studio/batches/<int:pk>/status.json",
            batch_views.batch_status_view,
            name="persx_studio_batch_status",
        ),
        path(
            "studio/fact-sheets/",
            fact_sheet_views.FactSheetListView.as_view(),
            name="persx_studio_fact_sheets",
        ),
        path(
            "studio/fact-sheets/<str:audience>/",
            fact_sheet_views.FactSheetEditView.as_view(),
            name="persx_studio_fact_sheet",
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
