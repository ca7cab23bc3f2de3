"""The report's pipeline section: CRM outcomes (qualified leads, opportunities, pipeline
value, won revenue) per arm, from :func:`persx.outcomes.pipeline_metrics.pipeline_cells`.

Each experiment has an attribution window (an outcome counts when it happens within N days
of the visitor's first exposure). Visitors whose window is still open are **maturing**: in
no sum (their pipeline may still come), counted and shown beside the numbers, never as
zeros. Per-visitor metrics are compared with Welch's t-test (relative lift, visitors as
independent); pipeline value is also compared per account (account-level sums, delta method,
Fieller interval), raw and capped at the stated percentile, since visitors of one company
share one deal. All pipeline estimates are unadjusted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from persx.analytics.models import ExperimentVisitor
from persx.analytics.report_model import (
    ALL_INDUSTRIES,
    ALPHA,
    Design,
    PipelineRow,
    PipelineSection,
)
from persx.engine.statistics import ClusteredLift, TTestResult
from persx.outcomes.pipeline_metrics import (
    ALL,
    PipelineCell,
    PipelineCells,
    account_lift,
    pipeline_cells,
    visitor_lift,
)

METRIC_LABELS = {
    "qualified_leads": "Qualified-lead rate",
    "opportunities": "Opportunity rate",
    "pipeline_value": "Pipeline value per visitor",
    "pipeline_value_capped": "Pipeline value per visitor, capped",
    "won_revenue": "Won revenue per visitor",
}


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _from_ttest(result: TTestResult) -> tuple[float | None, float | None, float | None]:
    return _finite(result.estimate), _finite(result.lower), _finite(result.upper)


def _from_clustered(result: ClusteredLift) -> tuple[float | None, float | None, float | None]:
    exists = result.interval_exists
    return (
        _finite(result.lift),
        max(result.lift_lower, -1.0) if exists else None,
        result.lift_upper if exists else None,
    )


def _row(
    arm: str,
    segment: tuple[str, str],
    metric: str,
    unit: str,
    c: PipelineCell,
    t: PipelineCell,
) -> PipelineRow:
    label = METRIC_LABELS.get(metric, metric)
    capped = metric.endswith("_capped")
    values = c.metric(metric), t.metric(metric)
    lift: tuple[float | None, float | None, float | None] = (None, None, None)
    note = ""
    if c.visitors >= 2 and t.visitors >= 2 and values[0].total > 0:
        if unit == "account":
            if c.accounts is not None and t.accounts is not None:
                try:
                    lift = _from_clustered(account_lift(c, t, capped_values=capped, alpha=ALPHA))
                except ValueError as error:  # fewer than two accounts in an arm
                    note = str(error)
        else:
            lift = _from_ttest(visitor_lift(c, t, metric, alpha=ALPHA))
    elif c.visitors + t.visitors == 0:
        note = "every visitor is still maturing"
    else:
        note = "too few matured visitors or no control pipeline yet"
    return PipelineRow(
        arm=arm,
        segment=segment[0],
        segment_label=segment[1],
        metric=metric,
        metric_label=label + (", account-level interval" if unit == "account" else ""),
        metric_family="pipeline",
        unit=unit,
        adjusted=False,
        control_visitors=c.visitors,
        treatment_visitors=t.visitors,
        control_maturing=c.maturing,
        treatment_maturing=t.maturing,
        control_value=_finite(values[0].mean) if c.visitors else None,
        treatment_value=_finite(values[1].mean) if t.visitors else None,
        lift=lift[0],
        lower=lift[1],
        upper=lift[2],
        note=note,
    )


METRICS: tuple[tuple[str, str], ...] = (
    ("qualified_leads", "visitor"),
    ("opportunities", "visitor"),
    ("pipeline_value", "visitor"),
    ("pipeline_value_capped", "visitor"),
    ("won_revenue", "visitor"),
    ("pipeline_value", "account"),
    ("pipeline_value_capped", "account"),
)


def pipeline_section(
    design: Design, segments: Sequence[tuple[str, str]], as_of: datetime
) -> PipelineSection | None:
    """The pipeline rows of every treatment arm and segment; None without visitors."""
    exposures = ExperimentVisitor.objects.filter(experiment=design.key).only(
        "visitor_id", "arm", "industry", "first_exposed_at"
    )
    cells: PipelineCells = pipeline_cells(design.key, as_of, exposures)
    if not cells.cells:
        return None
    rows = []
    for arm in design.treatments:
        for slug, label in segments:
            segment = ALL if slug == ALL_INDUSTRIES else slug
            c, t = cells.cell(design.control, segment), cells.cell(arm.key, segment)
            if c is None or t is None:
                continue
            for metric, unit in METRICS:
                rows.append(_row(arm.key, (slug, label), metric, unit, c, t))
    return PipelineSection(
        window_days=cells.window_days,
        currency=cells.currency,
        cap_percentile=cells.cap_percentile,
        visitor_cap=cells.visitor_cap,
        account_cap=cells.account_cap,
        maturing=cells.maturing,
        other_currency_outcomes=cells.other_currency_outcomes,
        rows=tuple(rows),
    )
