"""A report as JSON (everything, machine-readable) and as CSV (one row per comparison).

Both say whom the numbers count (``population``: consenting visitors only, in the words of the
site's consent mode)."""

from __future__ import annotations

import io
import math
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Any

from defusedcsv import csv

from persx.analytics.consent_scope import consent_scope_text
from persx.analytics.report_model import (
    AdjustedEstimate,
    Comparison,
    EstimateInterval,
    ExperimentReport,
    PipelineRow,
)

CSV_COLUMNS = (
    "experiment",
    "treatment_arm",
    "control_arm",
    "segment",
    "metric",
    "kind",
    "lower_is_better",
    "control_visitors",
    "control_conversions",
    "control_value",
    "treatment_visitors",
    "treatment_conversions",
    "treatment_value",
    "pli",
    "pli_lower_95",
    "pli_upper_95",
    "interval_method",
    "sequential_lower_95",
    "sequential_upper_95",
    "chance_to_win",
    "p_value",
    "bh_adjusted_p_value",
    "significant",
    "mde",
    "visitors_still_needed_for_15pct",
    "pooled_pli",
    "pooled_lower_95",
    "pooled_upper_95",
    "verdict",
    "unit",
    "metric_family",
    "adjusted",
    "maturing_visitors",
    "population",
)


def plain(value: Any) -> Any:
    """JSON-safe: dataclasses → dicts, dates → ISO text, NaN/∞ → None."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def report_json(report: ExperimentReport) -> dict[str, Any]:
    design = report.design
    primary = report.primary()
    return {
        "experiment": {
            "key": design.key,
            "name": design.name,
            "hypothesis": design.hypothesis,
            "status": design.status,
            "arms": plain(list(design.arms)),
            "control_arm": design.control,
            "primary_metric": design.primary_metric,
            "metrics": list(design.metrics),
            "sequential_tuning_n": design.tuning_n,
            "is_global_holdout": design.is_holdout,
            "randomization_unit": report.randomization_unit,
        },
        "unit": report.unit,
        "metric_family": "conversion",
        "generated_at": plain(report.generated_at),
        "rollups_updated_at": plain(report.rollups_updated_at),
        "last_event_id": report.last_event_id,
        "visitors": report.visitors,
        "population": consent_scope_text(),
        "headline": report.headline,
        "data_sufficiency": report.sufficiency,
        "srm": plain(report.srm),
        "primary": plain(primary) if primary else None,
        "comparisons": plain(list(report.comparisons)),
        "verdicts": plain(list(report.verdicts)),
        "cumulative": plain(list(report.series)),
        "variants": plain(list(report.variants)),
        "adjusted": plain(list(report.adjusted)),
        "adjustment_note": report.adjustment_note,
        "when_will_we_know": plain(list(report.forecast)),
        "traffic_days": report.traffic_days,
        "pipeline": plain(report.pipeline),
        "contamination": plain(report.contamination),
    }


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.6g}"
    return str(value)


def _row(report: ExperimentReport, c: Comparison, population: str) -> list[str]:
    verdict = report.verdict(c.arm, c.segment) if c.metric == report.design.primary_metric else None
    return [
        report.design.key,
        c.arm,
        report.design.control,
        c.segment,
        c.metric,
        c.kind,
        "yes" if c.lower_is_better else "no",
        _number(c.control.visitors),
        _number(c.control.conversions),
        _number(c.control_value),
        _number(c.treatment.visitors),
        _number(c.treatment.conversions),
        _number(c.treatment_value),
        _number(c.lift),
        _number(c.lower),
        _number(c.upper),
        c.interval_method,
        _number(c.sequential_lower),
        _number(c.sequential_upper),
        _number(c.chance_to_win),
        _number(c.p_value),
        _number(c.adjusted_p_value),
        "" if c.significant is None else ("yes" if c.significant else "no"),
        _number(c.mde),
        _number(c.visitors_still_needed),
        _number(c.pooled_lift),
        _number(c.pooled_lower),
        _number(c.pooled_upper),
        verdict.status if verdict else "",
        c.unit,
        c.metric_family,
        "yes" if c.adjusted else "no",
        "",
        population,
    ]


def _estimate_row(
    report: ExperimentReport,
    a: AdjustedEstimate,
    estimate: EstimateInterval,
    adjusted: bool,
    population: str,
) -> list[str]:
    """One side (unadjusted or adjusted) of a CUPED comparison, at the report's unit."""
    values: dict[str, str] = {
        "experiment": report.design.key,
        "treatment_arm": a.arm,
        "control_arm": report.design.control,
        "segment": a.segment,
        "metric": a.metric,
        "kind": "rate",
        "lower_is_better": "no",
        "pli": _number(estimate.lift),
        "pli_lower_95": _number(estimate.lower),
        "pli_upper_95": _number(estimate.upper),
        "interval_method": "fieller-delta (cuped)" if adjusted else "fieller-delta",
        "unit": a.unit,
        "metric_family": a.metric_family,
        "adjusted": "yes" if adjusted else "no",
        "population": population,
    }
    return [values.get(column, "") for column in CSV_COLUMNS]


def _pipeline_row(report: ExperimentReport, p: PipelineRow, population: str) -> list[str]:
    """A pipeline metric: matured visitors in the sums, maturing ones counted apart."""
    values: dict[str, str] = {
        "experiment": report.design.key,
        "treatment_arm": p.arm,
        "control_arm": report.design.control,
        "segment": p.segment,
        "metric": p.metric,
        "kind": "mean",
        "lower_is_better": "no",
        "control_visitors": _number(p.control_visitors),
        "control_value": _number(p.control_value),
        "treatment_visitors": _number(p.treatment_visitors),
        "treatment_value": _number(p.treatment_value),
        "pli": _number(p.lift),
        "pli_lower_95": _number(p.lower),
        "pli_upper_95": _number(p.upper),
        "interval_method": "fieller-delta (cuped)"
        if p.adjusted
        else "fieller-delta"
        if p.unit == "account"
        else "welch",
        "unit": p.unit,
        "metric_family": p.metric_family,
        "adjusted": "yes" if p.adjusted else "no",
        "maturing_visitors": _number(p.control_maturing + p.treatment_maturing),
        "population": population,
    }
    return [values.get(column, "") for column in CSV_COLUMNS]


def report_csv(report: ExperimentReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    population = consent_scope_text()  # on every row: a spreadsheet keeps it with the numbers
    for comparison in report.comparisons:
        writer.writerow(_row(report, comparison, population))
    for a in report.adjusted:  # the unit-level analyses: unadjusted and adjusted side by side
        writer.writerow(_estimate_row(report, a, a.unadjusted, False, population))
        writer.writerow(_estimate_row(report, a, a.adjusted, True, population))
    for p in report.pipeline.rows if report.pipeline else ():
        writer.writerow(_pipeline_row(report, p, population))
    return out.getvalue()
