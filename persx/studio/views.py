"""Studio admin pages: the coverage matrix (HTML and CSV) and the side-by-side preview.

Views parse and check the query, call the studio's readers, render; they write nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.models import Page

from persx.catalog.repository import current_catalog
from persx.content.inventory import live_pages, stored_blocks
from persx.content.models import PersonalizedPage
from persx.engine.visitor.audience import GENERIC, industry_key, persona_key
from persx.personalization.context import use_preview
from persx.studio.admin_screen import StudioScreen
from persx.studio.cell_state import CellState
from persx.studio.coverage import block_label, build_matrix
from persx.studio.coverage_export import matrix_csv
from persx.studio.models import Draft
from persx.studio.results import variant_results
from persx.studio.review_views import drafting_status


class BadQuery(Exception):
    """A query parameter the studio cannot use (answered 400, naming the field)."""


def industry_filter(request: HttpRequest) -> str | None:
    slug = request.GET.get("industry") or None
    if slug is not None and current_catalog().industry(slug) is None:
        raise BadQuery(f"industry: unknown industry '{slug}'")
    return slug


class CoverageView(StudioScreen):
    template_name = "persx_studio/coverage.html"
    page_title = "Variant coverage"
    header_icon = "table"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.industry = industry_filter(request)
        except BadQuery as exc:
            return HttpResponseBadRequest(str(exc))
        return super().get(request, *args, **kwargs)

    parent_url_name = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        matrix = build_matrix(industry=self.industry)
        groups: list[dict[str, Any]] = []
        for col in matrix.columns:
            if col.kind == "industry":
                groups.append({"label": col.label, "span": 0})
            groups[-1]["span"] += 1
        totals = matrix.totals()
        csv_url = reverse("persx_studio_coverage_csv")
        if self.industry:
            csv_url += f"?industry={self.industry}"
        context.update(
            matrix=matrix,
            table=[(row, list(zip(matrix.columns, row.cells, strict=True))) for row in matrix.rows],
            groups=groups,
            column_counts=[
                {
                    "column": col,
                    "served": matrix.served_in(i),
                    "counts": [
                        (s, matrix.counts[col.key][s])
                        for s in CellState
                        if matrix.counts[col.key][s]
                    ],
                }
                for i, col in enumerate(matrix.columns)
            ],
            legend=[{"state": s, "count": totals.get(s, 0)} for s in CellState],
            industries=current_catalog().industries,
            industry=self.industry,
            csv_url=csv_url,
            preview_url=reverse("persx_studio_preview"),
            report_url=reverse("persx_analytics_report", args=["__key__"]),
            draft_url=reverse("persx_studio_request_draft"),
            review_url=reverse("persx_studio_draft", args=[0]),
            retire_url=reverse("persx_studio_retire"),
            duel_url=reverse("persx_studio_ai_vs_human"),
            batch_url=reverse("persx_studio_batch_new"),
            fact_sheets_url=reverse("persx_studio_fact_sheets"),
            next_url=self.request.get_full_path(),
            drafts_url=reverse("persx_studio_drafts"),
            pending_drafts=Draft.objects.filter(status=Draft.Status.PENDING).count(),
            **drafting_status(),
        )
        return context


def coverage_csv_view(request: HttpRequest) -> HttpResponse:
    try:
        industry = industry_filter(request)
    except BadQuery as exc:
        return HttpResponseBadRequest(str(exc))
    response = HttpResponse(matrix_csv(build_matrix(industry=industry)), content_type="text/csv")
    name = f"coverage-{industry}.csv" if industry else "coverage.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- side-by-side preview -------------------------------------------------------------


def preview_audience(request: HttpRequest, default: str = "") -> str:
    audience = request.GET.get("audience") or default
    if audience != GENERIC and not current_catalog().is_valid_audience(audience):
        raise BadQuery(f"audience: unknown audience '{audience}'")
    return audience


def preview_moment(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("at")
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise BadQuery(f"at: expected a date and time like 2027-03-01T08:00, got '{raw}'")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def personalized_page(page_id: int) -> PersonalizedPage:
    page = Page.objects.filter(pk=page_id).first()
    specific = page.specific if page is not None else None
    if not isinstance(specific, PersonalizedPage) or not specific.live:
        raise Http404(f"no live personalizable page {page_id}")
    return specific


def audience_options() -> list[dict[str, Any]]:
    """The selector's groups: each industry, then its personas."""
    catalog = current_catalog()
    return [
        {
            "label": ind.name,
            "options": [(industry_key(ind.slug), f"All {ind.name}")]
            + [(persona_key(p.slug), p.name) for p in catalog.personas if p.industry == ind.slug],
        }
        for ind in catalog.industries
    ]


def audience_label(key: str) -> str:
    for group in audience_options():
        for value, label in group["options"]:
            if value == key:
                return f"{label} ({group['label']})" if key.startswith("persona:") else label
    return "Generic"


@xframe_options_sameorigin
def render_preview_view(request: HttpRequest, page_id: int) -> HttpResponse:
    """The live page rendered for one audience by its real templates (a pane's content).

    ``at`` renders the page as it will be (or was) at that moment, so a scheduled
    variant can be seen before it goes live. Nothing is saved or measured.
    """
    page = personalized_page(page_id)
    try:
        audience = preview_audience(request, GENERIC)
        moment = preview_moment(request)
    except BadQuery as exc:
        return HttpResponseBadRequest(str(exc))
    context = use_preview(request, audience)
    if moment is not None:
        context.clock = lambda: moment
    request.is_preview = True  # type: ignore[attr-defined]
    return page.serve(request)


class PreviewView(StudioScreen):
    template_name = "persx_studio/preview.html"
    page_title = "Side-by-side preview"
    header_icon = "view"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        pages = list(live_pages())
        if not pages:
            raise Http404("no live personalizable page")
        try:
            page_id = int(request.GET.get("page") or pages[0].pk)
        except ValueError:
            return HttpResponseBadRequest("page: expected a page id")
        self.page = personalized_page(page_id)
        self.pages = pages
        catalog = current_catalog()
        try:
            self.audience = preview_audience(request, industry_key(catalog.industries[0].slug))
            self.moment = preview_moment(request)
        except BadQuery as exc:
            return HttpResponseBadRequest(str(exc))
        return super().get(request, *args, **kwargs)

    def cell(self) -> dict[str, Any] | None:
        """The cell the preview was opened from (block × audience): its inline result,
        its pending draft, and what the draft button needs."""
        block_id = self.request.GET.get("block")
        block = next((b for b in stored_blocks([self.page]) if b.block_id == block_id), None)
        if block is None:
            return None
        has_variant = any(v.audience == self.audience for v in block.variants)
        result = next(
            (
                r
                for r in variant_results()
                if has_variant
                and r.audience == self.audience
                and r.covers(block.block_type, self.page.pk)
            ),
            None,
        )
        draft = Draft.objects.filter(
            page_id=self.page.pk,
            block_id=block.block_id,
            audience=self.audience,
            status=Draft.Status.PENDING,
        ).first()
        return {
            "block_id": block.block_id,
            "block_type": block.block_type,
            "label": block_label(block.base),
            "result": result,
            "report_url": (
                reverse("persx_analytics_report", args=[result.experiment]) if result else ""
            ),
            "draft": draft,
        }

    def focus(self) -> dict[str, Any] | None:
        """Where the cell's block is on the rendered page (its template's test id and its
        position among blocks of its type), so the panes scroll to it."""
        block_id = self.request.GET.get("block")
        same_type: dict[str, int] = {}
        for block in stored_blocks([self.page]):
            position = same_type.get(block.block_type, 0)
            same_type[block.block_type] = position + 1
            if block.block_id == block_id:
                return {"testid": block.block_type.replace("_", "-"), "index": position}
        return None

    def pane_url(self, audience: str) -> str:
        query = {"audience": audience}
        if self.moment is not None:
            query["at"] = self.moment.isoformat()
        url = reverse("persx_studio_render", args=[self.page.pk])
        return f"{url}?{urlencode(query)}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            page=self.page,
            pages=self.pages,
            audience=self.audience,
            audience_label=audience_label(self.audience),
            audience_groups=audience_options(),
            moment=self.moment,
            generic_url=self.pane_url(GENERIC),
            audience_url=self.pane_url(self.audience),
            render_base=reverse("persx_studio_render", args=[self.page.pk]),
            block=self.request.GET.get("block", ""),
            focus=self.focus(),
            cell=self.cell(),
            draft_url=reverse("persx_studio_request_draft"),
            next_url=self.request.get_full_path(),
            coverage_url=reverse("persx_studio_coverage"),
            **drafting_status(),
        )
        return context
