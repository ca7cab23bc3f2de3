"""A factorial report outside the admin: JSON (for notebooks and scripts) and plain text (the
terminal), the same numbers and sentences as the report page (``persx.factorial.report``)."""

from __future__ import annotations

from typing import Any

from persx.charts.number_format import count, percent
from persx.engine.statistics.factorial import Contrast
from persx.factorial.report import EffectRow, FactorialReport, pp


def _contrast_json(row: EffectRow) -> dict[str, Any]:
    c: Contrast = row.contrast
    return {
        "label": row.label,
        "factors": list(c.factors),
        "levels": list(c.levels),
        "estimate": c.estimate,
        "standard_error": c.standard_error,
        "lower": c.lower,
        "upper": c.upper,
        "clear": c.clear,
    }


def report_json(report: FactorialReport) -> dict[str, Any]:
    """Every figure of the report page; effects are differences of rates (not percent)."""
    experiment = report.experiment
    plan = report.plan
    return {
        "key": experiment.key,
        "name": experiment.name,
        "status": experiment.status,
        "randomization_unit": experiment.randomization_unit,
        "metric": experiment.primary_metric,
        "metric_label": report.metric_label,
        "blocks": list(report.blocks),
        "options": [list(o) for o in report.options],
        "cells": [
            {
                "key": c.key,
                "label": c.label,
                "visitors": c.visitors,
                "conversions": c.conversions,
                "rate": c.rate,
            }
            for c in report.cells
        ],
        "main_effects": [_contrast_json(r) for r in report.main_effects],
        "interactions": [_contrast_json(r) for r in report.interactions],
        "which_matters": report.which_matters,
        "interaction": report.interaction_sentence,
        "ship": report.ship_sentence,
        "plan": None
        if plan is None
        else {
            "effect": report.plan_effect,
            "visitors_per_cell_main_effect": plan.main_effect,
            "visitors_per_cell_interaction": plan.interaction,
        },
    }


def _effect_lines(title: str, rows: tuple[EffectRow, ...]) -> list[str]:
    if not rows:
        return []
    width = max(len(r.label) for r in rows)
    lines = ["", title]
    for r in rows:
        c = r.contrast
        lines.append(
            f"  {r.label.ljust(width)}  {pp(c.estimate):>9}  95% interval {pp(c.lower)} to "
            f"{pp(c.upper)}{'  (clear)' if c.clear else ''}"
        )
    return lines


def report_text(report: FactorialReport) -> str:
    experiment = report.experiment
    out = [
        f"Factorial experiment: {experiment.name} ({experiment.key}) — {experiment.status}",
        f"Blocks: {' × '.join(report.blocks)} · metric: {report.metric_label} · unit: "
        f"{experiment.randomization_unit}",
        "",
        report.which_matters,
        report.interaction_sentence,
        report.ship_sentence,
        "",
        "Cells",
    ]
    width = max((len(c.label) for c in report.cells), default=0)
    for c in report.cells:
        rate = "—" if c.rate is None else percent(c.rate, 1)
        out.append(f"  {c.label.ljust(width)}  {count(c.visitors):>9} visitors  {rate:>7}")
    out += _effect_lines("Main effects (difference of rates)", report.main_effects)
    out += _effect_lines("Two-way interactions", report.interactions)
    if report.plan is not None and report.plan_effect is not None:
        out += [
            "",
            f"Planner: to detect {pp(report.plan_effect, signed=False)} at 80% power: "
            f"{count(report.plan.main_effect)} visitors per cell for a main effect, "
            f"{count(report.plan.interaction)} for an interaction (fewest now: "
            f"{count(report.fewest_visitors)}).",
        ]
    return "\n".join(out) + "\n"
