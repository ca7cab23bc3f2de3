"""Admin pages of the bandits (Measurement menu): a list, and one report per bandit."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from persx.access.measurement_screen import MeasurementScreen
from persx.analytics.bandit_report import BanditReport, build_bandit_report
from persx.analytics.report_charts import holdback_lift_rows
from persx.analytics.report_model import TARGET_PLI
from persx.analytics.report_queries import variant_label
from persx.analytics.views import fresh_rollups
from persx.charts.allocation import allocation_chart
from persx.charts.interval import interval_chart
from persx.charts.style import arm_colour
from persx.engine.deciding.block_types import BLOCK_TYPES
from persx.events.experiment_metrics import metric
from persx.experiments.models import Bandit


class BanditIndexView(MeasurementScreen):
    template_name = "persx_analytics/bandit_index.html"
    page_title = "Bandit reports"
    header_icon = "pick"

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
        context["freshness"] = fresh_rollups()
        return context


class BanditDetailView(MeasurementScreen):
    template_name = "persx_analytics/bandit_report.html"
    header_icon = "pick"
    parent_url_name = "persx_analytics_bandits"
    parent_label = BanditIndexView.page_title

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        bandit = Bandit.objects.filter(key=kwargs["key"]).first()
        if bandit is None:
            raise Http404(f"no bandit '{kwargs['key']}'")
        self.freshness = fresh_rollups()
        self.report: BanditReport = build_bandit_report(bandit)
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return f"Bandit: {self.report.bandit.name}"

    def crumb_label(self) -> str:
        return self.report.bandit.name

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.report
        bandit = report.bandit
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
            "pli_chart": interval_chart(
                holdback_lift_rows(report), TARGET_PLI, "PLI per arm over generic (holdback)"
            ),
            "versions": list(reversed(report.versions))[:20],
            "freshness": self.freshness,
        }
        return context
