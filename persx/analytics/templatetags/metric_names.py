"""``{% metric_named key %}``: a metric's name with its key as the tooltip (report pages)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from persx.events.experiment_metrics import metric

register = template.Library()


@register.simple_tag
def metric_named(key: str) -> SafeString:
    return format_html('<span title="{}">{}</span>', key, metric(key).label)
