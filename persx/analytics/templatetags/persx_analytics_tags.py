"""Template filters for the report pages: percentages, lifts, intervals in plain words."""

from __future__ import annotations

from django import template

from persx.analytics import wording
from persx.analytics.consent_scope import consent_scope_text

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return wording.percent(value, int(digits))


@register.filter
def pli(value: float | None) -> str:
    return wording.percent(value, 1, signed=True)


@register.filter
def prob(value: float | None) -> str:
    return wording.probability(value)


@register.filter
def pval(value: float | None) -> str:
    return wording.p_value(value)


@register.filter
def num(value: float | int | None, digits: int = 0) -> str:
    if isinstance(value, int):
        return wording.count(value)
    return wording.number(value, int(digits))


@register.simple_tag
def interval(lower: float | None, upper: float | None) -> str:
    return wording.lift_interval(lower, upper)


@register.filter
def metric_value(value: float | None, kind: str) -> str:
    """A rate as a percentage, a mean (seconds) as a number."""
    if kind == "mean":
        return f"{wording.number(value, 1)} s"
    return wording.percent(value, 2)


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
