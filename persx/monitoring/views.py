"""``GET /metrics`` (the Prometheus text format, for a scraper holding the bearer token) and
the admin pages: personalization health and the stored weekly reports. Nothing here writes.

``/metrics``:

Never public by default: without ``PERSX_METRICS_TOKEN`` in the environment the endpoint
does not exist (404); a missing or wrong ``Authorization: Bearer …`` gets 401. With
``PROMETHEUS_MULTIPROC_DIR`` set, the answer sums every worker process's values.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from persx.access.measurement_screen import MeasurementScreen
from persx.monitoring.dashboard import build_dashboard
from persx.monitoring.models import WeeklyReport

TOKEN_ENV = "PERSX_METRICS_TOKEN"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _authorised(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def exposition() -> bytes:
    """The current metrics: summed over worker processes in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        raise Http404("metrics are not enabled")
    if not _authorised(request, token):
        response = HttpResponse("a valid bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class HealthView(MeasurementScreen):
    """The "Personalization health" admin page (reads :mod:`persx.monitoring.dashboard`)."""

    template_name = "persx_monitoring/health.html"
    page_title = "Personalization health"
    header_icon = "pick"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        started = time.perf_counter()
        board = build_dashboard(timezone.now(), self.request.GET.get("industry", ""))
        context |= {
            "board": board,
            "reports_url": reverse("persx_monitoring_weekly_reports"),
            "rules_url": reverse("alert-rules:index"),
            "built_ms": (time.perf_counter() - started) * 1000,
        }
        return context


class WeeklyReportIndexView(MeasurementScreen):
    template_name = "persx_monitoring/weekly_reports.html"
    page_title = "Weekly reports"
    header_icon = "doc-full"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reports"] = WeeklyReport.objects.all()[:52]
        return context


class WeeklyReportDetailView(MeasurementScreen):
    template_name = "persx_monitoring/weekly_report_detail.html"
    header_icon = "doc-full"
    parent_url_name = "persx_monitoring_weekly_reports"
    parent_label = WeeklyReportIndexView.page_title
    report: WeeklyReport

    def get_page_title(self) -> str:
        return self.report.subject

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report = WeeklyReport.objects.filter(pk=kwargs["pk"]).first()
        if report is None:
            raise Http404("no such report")
        self.report = report
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["report"] = self.report
        return context
