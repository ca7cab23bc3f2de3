"""Studio admin pages for batch drafting: the confirm step (cells, token and cost estimate,
budget), the progress page, and the JSON status it polls."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from wagtail.models import Page

from persx.content.models import PersonalizedPage
from persx.generation.anthropic_provider import provider_from_environment
from persx.jobs.progress import progress_status
from persx.studio.admin_screen import StudioScreen
from persx.studio.batch import create_batch, estimate, missing_cells
from persx.studio.models import DraftBatch
from persx.studio.review_views import drafting_status
from persx.studio.tasks import enqueue_batch

MAX_BUDGET_TOKENS = 50_000_000


class BadBatch(Exception):
    """The message starts with the field."""


def batch_page(raw: str | None) -> PersonalizedPage | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise BadBatch("page: expected a page id")
    found = Page.objects.filter(pk=int(raw)).first()
    page = found.specific if found is not None else None
    if not isinstance(page, PersonalizedPage) or not page.live:
        raise BadBatch(f"page: no live personalizable page {raw}")
    return page


def budget_tokens(raw: str | None) -> int:
    text = (raw or "").replace(",", "").replace("_", "").strip()
    if not text.isdigit() or int(text) <= 0:
        raise BadBatch(f"budget_tokens: expected a whole number of tokens above 0, got '{raw}'")
    value = int(text)
    if value > MAX_BUDGET_TOKENS:
        raise BadBatch(f"budget_tokens: at most {MAX_BUDGET_TOKENS:,} tokens per batch")
    return value


def suggested_budget(tokens: int) -> int:
    """The estimate plus a quarter for retries, rounded up to a thousand."""
    return max(1000, -(-int(tokens * 1.25) // 1000) * 1000)


class BatchNewView(StudioScreen):
    template_name = "persx_studio/batch_new.html"
    page_title = "Draft all missing cells"
    header_icon = "edit"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.error = ""
        source = request.POST if request.method == "POST" else request.GET
        try:
            self.page = batch_page(source.get("page"))
        except BadBatch as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        self.cells = missing_cells(self.page.pk if self.page else None)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = provider_from_environment()
        try:
            if provider is None:
                raise BadBatch(
                    "drafting: AI drafting is off; set ANTHROPIC_API_KEY in the server's "
                    "environment and restart it"
                )
            budget = budget_tokens(request.POST.get("budget_tokens"))
            batch = create_batch(self.cells, budget, self.page, request.user)
        except (BadBatch, ValueError) as exc:
            self.error = str(exc)
            response = self.get(request, *args, **kwargs)
            response.status_code = 409 if str(exc).startswith("drafting") else 400
            return response
        enqueue_batch(batch)
        return redirect("persx_studio_batch", pk=batch.pk)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        guess = estimate(self.cells)
        posted = self.request.POST.get("budget_tokens") if self.request.method == "POST" else None
        context.update(
            page=self.page,
            cells=len(self.cells),
            estimate=guess,
            budget=posted or suggested_budget(guess.tokens),
            error=self.error,
            coverage_url=reverse("persx_studio_coverage"),
            **drafting_status(),
        )
        return context


class BatchDetailView(StudioScreen):
    template_name = "persx_studio/batch.html"
    page_title = "Batch drafting"
    header_icon = "edit"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.batch = get_object_or_404(DraftBatch.objects.select_related("page"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            batch=self.batch,
            status=batch_status(self.batch),
            status_url=reverse("persx_studio_batch_status", args=[self.batch.pk]),
            coverage_url=reverse("persx_studio_coverage"),
            drafts_url=reverse("persx_studio_drafts"),
        )
        return context


def batch_status(batch: DraftBatch) -> dict[str, Any]:
    return progress_status(
        pk=batch.pk,
        status=batch.status,
        status_label=batch.get_status_display(),
        finished=batch.finished,
        done=batch.position,
        total=batch.total,
        message=batch.message,
    ) | {
        "drafted": batch.drafted,
        "failed": batch.failed,
        "skipped": batch.skipped,
        "tokens_used": batch.tokens_used,
        "budget_tokens": batch.budget_tokens,
        "tokens_percent": min(100, round(100 * batch.tokens_used / batch.budget_tokens))
        if batch.budget_tokens
        else 0,
        "estimated_tokens": batch.estimated_tokens,
    }


def batch_status_view(request: HttpRequest, pk: int) -> JsonResponse:
    batch = DraftBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise Http404(f"no draft batch {pk}")
    response = JsonResponse(batch_status(batch))
    response["Cache-Control"] = "no-store"
    return response
