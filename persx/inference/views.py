"""Admin page: the current inference model, its reliability chart and what editors said."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q

from persx.access.measurement_screen import MeasurementScreen
from persx.charts.reliability import reliability_chart
from persx.engine.learning.calibration import ReliabilityBin
from persx.inference.models import InferenceExample, InferenceModelVersion, LabelSource


def _bins(evaluation: dict[str, Any]) -> list[ReliabilityBin]:
    return [ReliabilityBin(**b) for b in evaluation.get("reliability", [])]


class InferenceView(MeasurementScreen):
    template_name = "persx_inference/inference.html"
    page_title = "Visitor inference"
    header_icon = "user"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        current = InferenceModelVersion.objects.filter(is_current=True).first()
        corrections = InferenceExample.objects.filter(source=LabelSource.CORRECTION).exclude(
            inferred_industry=""
        )
        checked = corrections.aggregate(
            total=Count("id"),
            confirmed=Count("id", filter=Q(industry=F("inferred_industry"))),
        )
        bins = _bins(current.evaluation) if current else []
        context |= {
            "current": current,
            "bins": bins,
            "chart": reliability_chart(bins, "Reliability on held-out visitors"),
            "history": InferenceModelVersion.objects.all()[:10],
            "examples": InferenceExample.objects.count(),
            "checked": checked,
            "confirmed_share": checked["confirmed"] / checked["total"]
            if checked["total"]
            else None,
        }
        return context
