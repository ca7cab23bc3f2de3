"""Template tags of the report pages: intervals in plain words, metric values, lift colours.
Single numbers (``pct``, ``pli``, ``num``, ``prob``, ``pval``) are the ``persx_charts``
filters."""

from __future__ import annotations

from django import template

from persx.analytics.consent_scope import consent_scope_text
from persx.charts.number_format import number, percent

register = template.Library()


@register.simple_tag
def interval(lower: float | None, upper: float | None) -> str:
    # Imported here: Django imports every app's tag library when it renders any template,
    # and the report wording brings the statistics (numpy) that a public page never needs.
    from persx.analytics.report_wording import lift_interval

    return lift_interval(lower, upper)


@register.filter
def metric_value(value: float | None, kind: str) -> str:
    """A rate as a percentage, a mean (seconds) as a number."""
    if kind == "mean":
        return f"{number(value, 1)} s"
    return percent(value, 2)


@register.filter
def lift_class(comparison: object) -> str:
    """px-good / px-bad when the interval excludes 0 (in the metric's good direction)."""
    lower = getattr(comparison, "lower", None)
    upper = getattr(comparison, "upper", None)
    better_low = getattr(comparison, "lower_is_better", False)
    if lower is not None and lower > 0:
        return "px-bad" if better_low else "px-good"
    if upper is not None and upper < 0:
        return "px-good" if better_low else "px-bad"
    return ""


@register.simple_tag
def consent_scope() -> str:
    """Who the numbers count (consenting visitors only, in the site's consent mode)."""
    return consent_scope_text()
