"""Admin pages: experiment reports (list, detail, CSV/JSON export) and the overview.

Views read reports (:mod:`persx.analytics.reports`) and render. Their one write is through
``services.refresh_stale_rollups`` (the on-load update when the rollups are stale, see the
``ROLLUP_REFRESH_SECONDS`` setting); every page says how fresh its numbers are.
"""

from __future__ import annotations

import time
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from persx.access.measurement import measurement_required
from persx.access.measurement_screen import MeasurementScreen
from persx.analytics.freshness import RollupFreshness, rollup_freshness
from persx.analytics.overview import Overview, build_overview
from persx.analytics.report_charts import adjustment_rows, interval_rows
from persx.analytics.report_export import report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES, TARGET_PLI, ExperimentReport
from persx.analytics.report_queries import all_designs, find_design, visitors_per_experiment
from persx.analytics.reports import build_report
from persx.analytics.scorecard import scorecard
from persx.analytics.services import refresh_stale_rollups
from persx.charts.cumulative import cumulative_chart
from persx.charts.interval import interval_chart
from persx.charts.number_format import percent
from persx.config import config
from persx.database_routing import reports_from_replica
from persx.events.experiment_metrics import metric


def fresh_rollups() -> RollupFreshness:
    """Update stale rollups (when the setting allows) and say how fresh they are."""
    after = config().rollup_refresh_seconds
    run = refresh_stale_rollups(after)
    return rollup_freshness(refreshed_now=run is not None, refresh_after_seconds=after)


def _report_or_404(key: str) -> ExperimentReport:
    with reports_from_replica():  # the numbers come from the replica when there is one
        design = find_design(key)
        if design is None:
            raise Http404(f"no experiment '{key}'")
        return build_report(design)


class ReportIndexView(MeasurementScreen):
    template_name = "persx_analytics/report_index.html"
    page_title = "Experiment reports"
    header_icon = "tasks"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["freshness"] = fresh_rollups()
        with reports_from_replica():
            designs = all_designs()
            visitors = visitors_per_experiment([d.key for d in designs])
        rows = []
        for design in designs:
            by_arm = visitors.get(design.key, {})
            rows.append(
                {
                    "design": design,
                    "visitors": sum(by_arm.values()),
                    "by_arm": [(a.key, by_arm.get(a.key, 0)) for a in design.arms],
                    "url": reverse("persx_analytics_report", args=[design.key]),
                    "metric": metric(design.primary_metric).label,
                }
            )
        context["rows"] = rows
        context["overview_url"] = reverse("persx_analytics_overview")
        return context


class ReportDetailView(MeasurementScreen):
    template_name = "persx_analytics/report_detail.html"
    header_icon = "tasks"
    parent_url_name = "persx_analytics_reports"
    parent_label = ReportIndexView.page_title

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.freshness = fresh_rollups()
        started = time.perf_counter()
        self.report = _report_or_404(kwargs["key"])
        self.elapsed_ms = (time.perf_counter() - started) * 1000
        return super().get(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return f"Report: {self.report.design.name}"

    def crumb_label(self) -> str:
        return self.report.design.name

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.report
        design = report.design
        treatments = design.treatments
        arm = self.request.GET.get("arm") or (treatments[0].key if treatments else "")
        if design.arm(arm) is None or arm == design.control:
            arm = treatments[0].key if treatments else ""
        chosen_metric = self.request.GET.get("metric") or design.primary_metric
        if chosen_metric not in design.metrics:
            chosen_metric = design.primary_metric
        series = next((s for s in report.series if s.arm == arm), None)
        pooled = [c for c in report.comparisons if c.arm == arm and c.segment == ALL_INDUSTRIES]
        industry = [
            c
            for c in report.comparisons
            if c.arm == arm and c.segment != ALL_INDUSTRIES and c.metric == chosen_metric
        ]
        context.update(
            {
                "report": report,
                "design": design,
                "arm": arm,
                "arm_spec": design.arm(arm),
                "control_spec": design.arm(design.control),
                "treatments": treatments,
                "chosen_metric": metric(chosen_metric),
                "metrics": [metric(m) for m in design.metrics],
                "primary": report.primary(arm) if arm else None,
                "pooled_verdict": report.verdict(arm, ALL_INDUSTRIES),
                "pooled": pooled,
                "industry": industry,
                "verdicts": [v for v in report.verdicts if v.arm == arm],
                "variants": [v for v in report.variants if v.arm == arm],
                "interval_chart": interval_chart(
                    interval_rows(report, arm, chosen_metric), TARGET_PLI
                ),
                "cumulative_chart": cumulative_chart(series.points, TARGET_PLI) if series else None,
                "adjusted": [a for a in report.adjusted if a.arm == arm],
                "adjustment_chart": interval_chart(
                    adjustment_rows(report, arm),
                    TARGET_PLI,
                    title="PLI unadjusted and regression-adjusted, with 95% intervals",
                )
                if any(a.arm == arm for a in report.adjusted)
                else None,
                "csv_url": reverse("persx_analytics_report_csv", args=[design.key]),
                "json_url": reverse("persx_analytics_report_json", args=[design.key]),
                "elapsed_ms": self.elapsed_ms,
                "freshness": self.freshness,
                "counted_by_clickhouse": config().event_store == "clickhouse",
                "target": percent(TARGET_PLI, 0, signed=True),
            }
        )
        return context


@measurement_required
def report_csv_view(request: HttpRequest, key: str) -> HttpResponse:
    fresh_rollups()
    report = _report_or_404(key)
    response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="persx-report-{key}.csv"'
    return response


@measurement_required
def report_json_view(request: HttpRequest, key: str) -> HttpResponse:
    fresh_rollups()
    report = _report_or_404(key)
    response = JsonResponse(report_json(report), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="persx-report-{key}.json"'
    return response


class OverviewView(MeasurementScreen):
    template_name = "persx_analytics/overview.html"
    page_title = "Personalization overview"
    header_icon = "view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["freshness"] = fresh_rollups()
        with reports_from_replica():
            overview: Overview = build_overview()
        sources = []
        for report in (overview.holdout, *overview.experiments):
            design = report.design
            if not design.treatments:
                continue
            arm = design.treatments[0].key
            sources.append(
                {
                    "report": report,
                    "arm": arm,
                    "url": reverse("persx_analytics_report", args=[design.key]),
                    "chart": interval_chart(
                        interval_rows(report, arm, design.primary_metric), TARGET_PLI
                    ),
                    "metric": metric(design.primary_metric).label,
                    "primary": report.primary(arm),
                }
            )
        context.update(
            {
                "overview": overview,
                "scorecard": scorecard(overview, timezone.now()),
                "sources": sources,
                "reports_url": reverse("persx_analytics_reports"),
                "target": percent(TARGET_PLI, 0, signed=True),
            }
        )
        return context
