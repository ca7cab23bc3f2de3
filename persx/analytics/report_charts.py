"""What the report charts plot: a report's numbers as the inputs of the chart kit
(:mod:`persx.charts`), which draws them."""

from __future__ import annotations

from persx.analytics.bandit_report import BanditReport
from persx.analytics.report_model import ALL_INDUSTRIES, ExperimentReport
from persx.analytics.report_queries import variant_label
from persx.charts.interval import IntervalRow
from persx.charts.number_format import count
from persx.engine.visitor.audience import GENERIC


def interval_rows(report: ExperimentReport, arm: str, metric_key: str) -> list[IntervalRow]:
    """The rows of the interval chart: every segment of the report on one arm and metric."""
    rows = []
    for slug, label in report.segments:
        comp = report.comparison(arm, slug, metric_key)
        if comp is None:
            continue
        visitors = comp.control.visitors + comp.treatment.visitors
        rows.append(
            IntervalRow(
                label=label,
                lift=comp.lift,
                lower=comp.lower,
                upper=comp.upper,
                pooled=comp.pooled_lift,
                pooled_lower=comp.pooled_lower,
                pooled_upper=comp.pooled_upper,
                note=f"{count(visitors)} visitors",
                emphasis=slug == ALL_INDUSTRIES,
            )
        )
    return rows


def adjustment_rows(report: ExperimentReport, arm: str) -> list[IntervalRow]:
    """The adjusted-vs-unadjusted chart: per segment, the unadjusted PLI and, under it, the
    CUPED-adjusted one (emphasised), both at the report's unit."""
    rows = []
    for a in report.adjusted:
        if a.arm != arm:
            continue
        note = f"{count(a.units)} {a.unit}s"
        rows.append(
            IntervalRow(
                f"{a.segment_label} · unadjusted",
                a.unadjusted.lift,
                a.unadjusted.lower,
                a.unadjusted.upper,
                note=note,
            )
        )
        rows.append(
            IntervalRow(
                f"{a.segment_label} · adjusted",
                a.adjusted.lift,
                a.adjusted.lower,
                a.adjusted.upper,
                note=note,
                emphasis=True,
            )
        )
    return rows


def holdback_lift_rows(report: BanditReport) -> list[IntervalRow]:
    """A bandit's lift per arm over generic, from its fixed holdback only."""
    return [
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
