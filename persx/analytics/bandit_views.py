"""Admin pages of the bandits (Measurement menu): a list, and one report per bandit."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from persx.analytics.bandit_charts import allocation_chart, arm_colour
from persx.analytics.bandit_report import BanditReport, build_bandit_report
from persx.analytics.charts import IntervalRow, interval_chart
from persx.analytics.freshness import rollup_freshness
from persx.analytics.permissions import MeasurementPermissionRequired
from persx.analytics.report_model import TARGET_PLI
from persx.analytics.report_queries import variant_label
from persx.analytics.services import refresh_stale_rollups
from persx.analytics.wording import count
from persx.config import config
from persx.engine.deciding.audience import GENERIC
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.events.experiment_metrics import metric
from persx.experiments.models import Bandit


def _refresh() -> Any:
    after = config().rollup_refresh_seconds
    run = refresh_stale_rollups(after)
    return rollup_freshness(refreshed_now=run is not None, refresh_after_seconds=after)


class BanditIndexView(MeasurementPermissionRequired, WagtailAdminTemplateMixin, TemplateView):
    template_name = "persx_analytics/bandit_index.html"
    page_title = "Bandit reports"
    header_icon = "pick"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        bandits = Bandit.objects.order_by("status", "-created_at").prefetch_related("allocations")
        context["rows"] = [
            {
                "bandit": b,
                "block": BLOCK_TYPES.get(b.block_type, b.block_type),
                "audience": variant_label(b.audience),
                "versions": len(b.allocations.all()),
                "url": reverse("persx_analytics_bandit", args=[b.key]),
            }
            for b in bandits
        ]
        context["freshness"] = _refresh()
        return context


class BanditDetailView(MeasurementPermissionRequired, WagtailAdminTemplateMixin, TemplateView):
    template_name = "persx_analytics/bandit_report.html"
    header_icon = "pick"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        bandit = Bandit.objects.filter(key=kwargs["key"]).first()
        if bandit is None:
            raise Http404(f"no bandit '{kwargs['key']}'")
        self.freshness = _refresh()
        self.report: BanditReport = build_bandit_report(bandit)
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return f"Bandit: {self.report.bandit.name}"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("persx_analytics_bandits"), "label": "Bandit reports"},
            {"url": "", "label": self.report.bandit.name},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.report
        bandit = report.bandit
        lift_rows = [
            IntervalRow(
                variant_label(r.arm),
                r.lift.lift if r.lift else None,
                r.lift.lower if r.lift and r.lift.interval_exists else None,
                r.lift.upper if r.lift and r.lift.interval_exists else None,
                note=f"{count(r.holdback.visitors)} visitors",
            )
            for r in report.rows
            if r.arm != GENERIC
        ]
        context |= {
            "report": report,
            "bandit": bandit,
            "block_name": BLOCK_TYPES.get(bandit.block_type, bandit.block_type),
            "audience": variant_label(bandit.audience),
            "metric": metric(bandit.metric).label,
            "guardrail_metric": metric(bandit.guardrail_metric).label
            if bandit.guardrail_metric
            else "",
            "rows": [
                {"row": r, "label": variant_label(r.arm), "colour": arm_colour(i)}
                for i, r in enumerate(report.rows)
            ],
            "allocation_chart": allocation_chart(report.arms, report.versions),
            "pli_chart": interval_chart(lift_rows, TARGET_PLI),
            "versions": list(reversed(report.versions))[:20],
            "freshness": self.freshness,
        }
        return context
