"""The "Variant studio" admin menu: coverage matrix and side-by-side preview."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from persx.access.lazy_view import lazy_view


def register_admin_urls() -> list[URLPattern]:
    return [
        path(
            "studio/coverage/",
            lazy_view("persx.studio.views.CoverageView"),
            name="persx_studio_coverage",
        ),
        path(
            "studio/coverage.csv",
            lazy_view("persx.studio.views.coverage_csv_view"),
            name="persx_studio_coverage_csv",
        ),
        path(
            "studio/preview/",
            lazy_view("persx.studio.views.PreviewView"),
            name="persx_studio_preview",
        ),
        path(
            "studio/drafts/",
            lazy_view("persx.studio.review_views.DraftListView"),
            name="persx_studio_drafts",
        ),
        path(
            "studio/drafts/<int:pk>/",
            lazy_view("persx.studio.review_views.DraftReviewView"),
            name="persx_studio_draft",
        ),
        path(
            "studio/drafts/request/",
            lazy_view("persx.studio.draft_views.request_draft_view"),
            name="persx_studio_request_draft",
        ),
        path(
            "studio/retire/",
            lazy_view("persx.studio.variant_views.retire_view"),
            name="persx_studio_retire",
        ),
        path(
            "studio/ai-vs-human/",
            lazy_view("persx.studio.variant_views.ai_vs_human_view"),
            name="persx_studio_ai_vs_human",
        ),
        path(
            "studio/batches/new/",
            lazy_view("persx.studio.batch_views.BatchNewView"),
            name="persx_studio_batch_new",
        ),
        path(
            "studio/batches/<int:pk>/",
            lazy_view("persx.studio.batch_views.BatchDetailView"),
            name="persx_studio_batch",
        ),
        path(
            "studio/batches/<int:pk>/status.json",
            lazy_view("persx.studio.batch_views.batch_status_view"),
            name="persx_studio_batch_status",
        ),
        path(
            "studio/fact-sheets/",
            lazy_view("persx.studio.fact_sheet_views.FactSheetListView"),
            name="persx_studio_fact_sheets",
        ),
        path(
            "studio/fact-sheets/<str:audience>/",
            lazy_view("persx.studio.fact_sheet_views.FactSheetEditView"),
            name="persx_studio_fact_sheet",
        ),
        path(
            "studio/email-preview/",
            lazy_view("persx.studio.email_preview_views.EmailPreviewView"),
            name="persx_studio_email_preview",
        ),
        path(
            "studio/email-preview/<int:pk>/render/",
            lazy_view("persx.studio.email_preview_views.render_email_view"),
            name="persx_studio_email_render",
        ),
        path(
            "studio/preview/<int:page_id>/render/",
            lazy_view("persx.studio.views.render_preview_view"),
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
