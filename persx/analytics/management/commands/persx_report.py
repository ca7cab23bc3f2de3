"""``manage.py persx_report <experiment>``: the admin report's numbers in the terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.analytics.consent_scope import consent_scope_text
from persx.analytics.report_export import report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES, ExperimentReport
from persx.analytics.report_queries import all_designs
from persx.analytics.report_wording import lift_interval
from persx.analytics.reports import report_for
from persx.charts.number_format import count, p_value, percent, probability
from persx.config import config


def _pipeline_value(value: float | None, visitors: int) -> str:
    """A pipeline mean; "maturing" only when no visitor's window has closed (an adjusted row
    without an estimate has matured visitors and no value)."""
    if not visitors:
        return "maturing"
    return f"{value:,.4g}" if value is not None else "—"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _value(value: float | None, kind: str) -> str:
    if kind == "mean":
        return "—" if value is None else f"{value:,.1f} s"
    return percent(value, 2)


def render_text(report: ExperimentReport, arm: str) -> str:
    design = report.design
    control = design.arm(design.control)
    out = [
        f"Experiment: {design.name} ({design.key}) — {design.status}",
    ]
    if design.hypothesis:
        out.append(f"Hypothesis: {design.hypothesis}")
    out += [
        f"Control: {control.label if control else design.control} · Treatment: "
        f"{', '.join(t.label for t in design.treatments) or 'none'} · Primary metric: "
        f"{design.primary_metric} · sequential N* = {design.tuning_n:,}",
        f"Visitors: {count(report.visitors)} · "
        + (
            "counted from ClickHouse report cells"
            if config().event_store == "clickhouse"
            else f"rollups up to event #{report.last_event_id:,}"
        ),
        f"Unit: {report.unit} · metric family: conversion · tables are unadjusted unless "
        "marked adjusted",
        consent_scope_text(),
        "",
        f"Result:          {report.headline}",
        f"Traffic split:   {'PROBLEM — ' if report.srm.flagged else ''}{report.srm.message}",
        f"Enough data?     {report.sufficiency}",
    ]
    pooled_verdict = report.verdict(arm, ALL_INDUSTRIES)
    if pooled_verdict:
        out.append(f"Below +10%?      {pooled_verdict.message}")
    out += ["", f"PLI per industry — {design.primary_metric} ({arm} vs {design.control})"]
    rows = []
    for slug, label in report.segments:
        c = report.comparison(arm, slug, design.primary_metric)
        if c is None:
            continue
        verdict = report.verdict(arm, slug)
        rows.append(
            [
                label,
                count(c.control.visitors),
                _value(c.control_value, c.kind),
                count(c.treatment.visitors),
                _value(c.treatment_value, c.kind),
                percent(c.lift, signed=True),
                lift_interval(c.lower, c.upper, c.interval_exists),
                "—" if c.is_pooled else percent(c.pooled_lift, signed=True),
                probability(c.chance_to_win),
                p_value(c.p_value if c.is_pooled else c.adjusted_p_value),
                verdict.headline if verdict else "—",
            ]
        )
    out += _table(
        [
            "Industry",
            "Ctrl visitors",
            "Ctrl",
            "Trt visitors",
            "Trt",
            "PLI",
            "95% interval",
            "Pooled PLI",
            "Win",
            "p (BH adj.)",
            "Verdict",
        ],
        rows,
        {1, 2, 3, 4, 5, 7, 8, 9},
    )
    out += ["", "All metrics — all industries"]
    metric_rows = []
    for c in report.comparisons:
        if c.arm != arm or not c.is_pooled:
            continue
        metric_rows.append(
            [
                c.metric_label + (" (lower is better)" if c.lower_is_better else ""),
                _value(c.control_value, c.kind),
                _value(c.treatment_value, c.kind),
                percent(c.lift, signed=True),
                lift_interval(c.lower, c.upper, c.interval_exists),
                lift_interval(c.sequential_lower, c.sequential_upper, c.sequential_ready),
                probability(c.chance_to_win),
                p_value(c.p_value),
                percent(c.mde, 0, signed=True),
                "—" if c.visitors_still_needed is None else count(c.visitors_still_needed),
            ]
        )
    out += _table(
        [
            "Metric",
            "Ctrl",
            "Trt",
            "Lift",
            "95% interval",
            "Always-valid",
            "Win",
            "p",
            "MDE",
            "Need (+15%)",
        ],
        metric_rows,
        {1, 2, 3, 6, 7, 8, 9},
    )
    adjusted = [a for a in report.adjusted if a.arm == arm]
    if adjusted:
        out += [
            "",
            f"Regression-adjusted PLI (CUPED) — {design.primary_metric}, unit: {report.unit}",
            f"Covariate: {adjusted[0].covariate}",
        ]
        out += _table(
            [
                "Industry",
                f"{report.unit.capitalize()}s",
                "PLI unadjusted",
                "95% interval",
                "PLI adjusted",
                "95% interval",
                "Var. removed",
                "Balance",
                "Signs",
            ],
            [
                [
                    a.segment_label,
                    count(a.units),
                    percent(a.unadjusted.lift, signed=True),
                    lift_interval(a.unadjusted.lower, a.unadjusted.upper),
                    percent(a.adjusted.lift, signed=True),
                    lift_interval(a.adjusted.lower, a.adjusted.upper),
                    percent(a.variance_reduction, 0),
                    "IMBALANCED" if a.imbalanced else "ok",
                    "DISAGREE" if a.signs_disagree else "agree",
                ]
                for a in adjusted
            ],
            {1, 2, 4, 6},
        )
    elif report.adjustment_note:
        out += ["", f"Regression-adjusted PLI: {report.adjustment_note}"]
    if report.forecast:
        out += ["", f"When will we know — +15% at 80% power, last {report.traffic_days} days"]
        out += _table(
            ["Industry", "Visitors/day", "Still needed", "Detectable on", "MDE by quarter end"],
            [
                [
                    f.segment_label,
                    f"{f.daily_visitors:,.0f}",
                    "—" if f.visitors_missing is None else count(f.visitors_missing),
                    "now"
                    if f.already
                    else f.ready_on.isoformat()
                    if f.ready_on
                    else "not at this traffic",
                    percent(f.mde_at_horizon, 0, signed=True),
                ]
                for f in report.forecast
            ],
            {1, 2, 4},
        )
    pipeline = report.pipeline
    if pipeline and pipeline.rows:
        out += [
            "",
            f"Pipeline from the CRM — metric family: pipeline, unadjusted and CUPED-adjusted "
            f"(pre-exposure prediction) side by side, attribution window "
            f"{pipeline.window_days} days; maturing visitors (window open) are in no sum: "
            f"{count(pipeline.maturing)} now",
        ]
        out += _table(
            ["Metric", "Unit", "Adjusted", "Ctrl", "Trt", "Lift", "95% interval", "Maturing"],
            [
                [
                    p.metric_label,
                    p.unit,
                    ("yes" + (", signs disagree" if p.signs_disagree else ""))
                    if p.adjusted
                    else "no",
                    _pipeline_value(p.control_value, p.control_visitors),
                    _pipeline_value(p.treatment_value, p.treatment_visitors),
                    percent(p.lift, signed=True),
                    p.note or lift_interval(p.lower, p.upper),
                    count(p.control_maturing + p.treatment_maturing),
                ]
                for p in pipeline.rows
                if p.arm == arm and p.segment == ALL_INDUSTRIES
            ],
            {3, 4, 5, 7},
        )
    series = next((s for s in report.series if s.arm == arm), None)
    if series and series.points:
        out += ["", f"Cumulative PLI by day — {design.primary_metric}, all industries"]
        out += _table(
            ["Day", "Visitors", "PLI", "95% interval", "Always-valid"],
            [
                [
                    p.day.isoformat(),
                    count(p.control_visitors + p.treatment_visitors),
                    percent(p.lift, signed=True),
                    lift_interval(p.lower, p.upper),
                    lift_interval(p.sequential_lower, p.sequential_upper),
                ]
                for p in series.points
            ],
            {1, 2},
        )
    variants = [v for v in report.variants if v.arm == arm]
    if variants:
        out += ["", "Variants — visitors who saw it vs control visitors who would have"]
        out += _table(
            ["Variant", "Visitors", "PLI", "95% interval", "Verdict"],
            [
                [
                    v.label,
                    count(v.control.visitors + v.treatment.visitors),
                    percent(v.lift, signed=True),
                    lift_interval(v.lower, v.upper, v.interval_exists),
                    v.verdict.message if v.verdict else "—",
                ]
                for v in variants
            ],
            {1, 2},
        )
    return "\n".join(out) + "\n"


class Command(BaseCommand):
    help = "Print an experiment's report (the same numbers as the admin report page)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("experiment", help="Experiment key, or 'global-holdout'.")
        parser.add_argument("--arm", help="Treatment arm to compare (default: the first).")
        parser.add_argument(
            "--format", choices=("text", "json", "csv"), default="text", help="Output format."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["experiment"])
        report = report_for(key)
        if report is None:
            known = ", ".join(d.key for d in all_designs())
            raise CommandError(f"no experiment '{key}'; known: {known}")
        if options["format"] == "json":
            self.stdout.write(json.dumps(report_json(report), indent=2))
            return
        if options["format"] == "csv":
            self.stdout.write(report_csv(report), ending="")
            return
        treatments = [t.key for t in report.design.treatments]
        arm = options.get("arm") or (treatments[0] if treatments else "")
        if arm not in treatments:
            raise CommandError(
                f"'{arm}' is not a treatment arm of {key}; choose from: {', '.join(treatments)}"
            )
        self.stdout.write(render_text(report, arm), ending="")
