"""Studio admin pages for AI drafts: the list awaiting review and the review form.

The view parses the form and calls :mod:`persx.studio.services`; a refused step is shown
on the form (400, naming the field) and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse

from persx.config import config
from persx.content.inventory import stored_blocks
from persx.content.schemas import SCHEMAS
from persx.generation.anthropic_provider import provider_from_environment
from persx.studio.admin_screen import StudioScreen
from persx.studio.fact_sheets import fact_sheet_for
from persx.studio.models import Draft
from persx.studio.services import ReviewRefused, approve_draft, open_flags, reject_draft


def drafting_status() -> dict[str, Any]:
    provider = provider_from_environment()
    return {
        "drafting_enabled": provider is not None,
        "drafting_model": provider.model if provider is not None else "",
        "default_model": config().draft_model,
    }


class DraftListView(StudioScreen):
    template_name = "persx_studio/drafts.html"
    page_title = "Drafts awaiting review"
    header_icon = "edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["drafts"] = Draft.objects.filter(status=Draft.Status.PENDING).select_related("page")
        context.update(drafting_status())
        return context


def has_live_variant(draft: Draft) -> bool:
    """The draft's audience already has a variant on the block (approval may replace it
    or sit beside it as its AI challenger)."""
    page = draft.page.specific
    return any(
        block.block_id == draft.block_id
        and any(v.audience == draft.audience for v in block.variants)
        for block in stored_blocks([page])
    )


def text_fields(block_type: str) -> list[str]:
    """The draft's one-line and paragraph fields (editable on the review form)."""
    return [n for n, f in SCHEMAS[block_type].model_fields.items() if f.annotation is str]


class DraftReviewView(StudioScreen):
    template_name = "persx_studio/draft_review.html"
    page_title = "Review a draft"
    header_icon = "edit"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.draft = get_object_or_404(Draft.objects.select_related("page"), pk=kwargs["pk"])
        self.error = ""
        return super().dispatch(request, *args, **kwargs)

    parent_url_name = "persx_studio_drafts"
    parent_label = "Drafts awaiting review"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = request.POST.get("action")
        try:
            if action == "reject":
                reject_draft(self.draft, request.user, request.POST.get("reason", ""))  # type: ignore[arg-type]
                messages.success(request, "Draft rejected.")
            elif action == "approve":
                edited = dict(self.draft.content)
                for name in text_fields(self.draft.block_type):
                    if name in request.POST:
                        edited[name] = request.POST[name]
                approve_draft(
                    self.draft,
                    request.user,  # type: ignore[arg-type]
                    edited=edited if edited != self.draft.content else None,
                    override_note=request.POST.get("override_note", ""),
                    as_challenger=request.POST.get("placement") == "challenger",
                )
                messages.success(request, "Draft approved and published as a live variant.")
            else:
                raise ReviewRefused("action: choose approve or reject")
        except ReviewRefused as exc:
            self.error = str(exc)
            response = self.get(request, *args, **kwargs)
            response.status_code = 400
            return response
        return redirect("persx_studio_drafts")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        draft = self.draft
        posted = self.request.POST if self.request.method == "POST" else {}
        sheet = fact_sheet_for(draft.audience)
        context.update(
            draft=draft,
            flags=open_flags(draft, draft.content, sheet),  # what approval will check
            sheet_version=sheet.version,
            error=self.error,
            fields=[
                (name, posted.get(name, draft.content.get(name, "")))
                for name in text_fields(draft.block_type)
            ],
            other_fields=[
                (name, value)
                for name, value in draft.content.items()
                if name not in text_fields(draft.block_type)
            ],
            override_note=posted.get("override_note", ""),
            placement=posted.get("placement", "replace"),
            has_live_variant=has_live_variant(draft),
            preview_url=reverse("persx_studio_preview")
            + f"?page={draft.page_id}&block={draft.block_id}&audience={draft.audience}",
        )
        return context
