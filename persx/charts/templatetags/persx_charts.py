"""The number formats of :mod:`persx.charts.number_format` as template filters, for every
measurement screen: ``{{ rate|pct }}``, ``{{ rate|pct:2 }}``, ``{{ lift|pli }}`` (signed),
``{{ visitors|num }}``, ``{{ seconds|num:1 }}``, ``{{ chance|prob }}``, ``{{ p|pval }}``."""

from __future__ import annotations

from django import template

from persx.charts import number_format

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    return number_format.percent(value, int(digits))


@register.filter
def pli(value: float | None) -> str:
    return number_format.percent(value, 1, signed=True)


@register.filter
def prob(value: float | None) -> str:
    return number_format.probability(value)


@register.filter
def pval(value: float | None) -> str:
    return number_format.p_value(value)


@register.filter
def num(value: float | int | None, digits: int = 0) -> str:
    if isinstance(value, int):
        return number_format.count(value)
    return number_format.number(value, int(digits))
