"""The factorial experiments' report screens (Measurement menu): a list, and one report each."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from persx.access.measurement_screen import MeasurementScreen
from persx.analytics.views import fresh_rollups
from persx.charts.number_format import count, percent
from persx.factorial.charts import Estimate, estimates_chart
from persx.factorial.models import FactorialExperiment
from persx.factorial.report import FactorialReport, build_report, pp


class FactorialIndexView(MeasurementScreen):
    template_name = "persx_factorial/index.html"
    page_title = "Factorial reports"
    header_icon = "table"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["rows"] = [
            {"experiment": e, "url": reverse("persx_factorial_report", args=[e.key])}
            for e in FactorialExperiment.objects.order_by("status", "-created_at")
        ]
        return context


class FactorialReportView(MeasurementScreen):
    template_name = "persx_factorial/report.html"
    header_icon = "table"
    parent_url_name = "persx_factorial_reports"
    parent_label = FactorialIndexView.page_title

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        row = FactorialExperiment.objects.filter(key=kwargs["key"]).first()
        if row is None:
            raise Http404(f"no factorial experiment '{kwargs['key']}'")
        self.freshness = fresh_rollups()
        self.report: FactorialReport = build_report(row)
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return f"Factorial: {self.report.experiment.name}"

    def crumb_label(self) -> str:
        return self.report.experiment.name

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.report
        context |= {"report": report, "experiment": report.experiment}
        context["freshness"] = self.freshness
        if report.plan_effect is not None:
            context["plan_effect"] = pp(report.plan_effect, signed=False)
        analysis = report.analysis
        if analysis is not None:
            context["cells_chart"] = estimates_chart(
                [
                    Estimate(
                        row.label,
                        cell.rate,
                        cell.lower,
                        cell.upper,
                        f"{count(cell.visitors)} visitors",
                    )
                    for row, cell in zip(report.cells, analysis.cells, strict=True)
                ],
                title=f"{report.metric_label}: rate of each combination",
                caption="Conversion rate with 95% interval",
                label=lambda v: percent(v),
                zero_line=False,
            )
            context["effects_chart"] = estimates_chart(
                [
                    Estimate(
                        r.label,
                        r.contrast.estimate,
                        r.contrast.lower,
                        r.contrast.upper,
                        group="Main effects (vs the reference option)",
                    )
                    for r in report.main_effects
                ]
                + [
                    Estimate(
                        r.label,
                        r.contrast.estimate,
                        r.contrast.lower,
                        r.contrast.upper,
                        group="Interactions (difference of differences)",
                    )
                    for r in report.interactions
                ],
                title="Main effects and interactions with 95% intervals",
                caption="Difference in conversion rate, percentage points",
                label=lambda v: pp(v),
                zero_line=True,
            )
        return context
