"""What the rollups hold about a visitor, for the export and the erasure (persx.privacy).

The daily rollups are sums without visitor ids; a visitor's contribution is their
first-exposure and conversion rows, and erasing it re-aggregates the cells they counted in.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.analytics.adjustment_cells import forget_adjustment_cells
from persx.analytics.models import ExperimentVisitor, VisitorConversion
from persx.analytics.services import forget_visitor_contributions
from persx.privacy.holders import DataSubject


class RollupsHeld:
    name = "rollups"
    models: tuple[type[models.Model], ...] = (ExperimentVisitor, VisitorConversion)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        return set()

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        ids = subject.visitor_ids
        exposures = [
            {
                "kind": "first_exposure",
                "visitor_id": row.visitor_id,
                "experiment": row.experiment,
                "arm": row.arm,
                "industry": row.industry,
                "variant": row.variant,
                "consent": row.consent,
                "at": row.first_exposed_at.isoformat(),
            }
            for row in ExperimentVisitor.objects.filter(visitor_id__in=ids).order_by("id")
        ]
        conversions = [
            {
                "kind": "conversion",
                "visitor_id": row.visitor_id,
                "experiment": row.experiment,
                "metric": row.metric,
                "arm": row.arm,
                "events": row.events,
                "value_sum": row.value_sum,
                "at": row.first_converted_at.isoformat(),
            }
            for row in VisitorConversion.objects.filter(visitor_id__in=ids).order_by("id")
        ]
        return exposures + conversions

    def erase(self, subject: DataSubject) -> int:
        # The stored cells of their experiments go first (their rows name the experiments);
        # those reports count live until the next rollup run.
        forget_adjustment_cells(subject.visitor_ids)
        return forget_visitor_contributions(subject.visitor_ids)
