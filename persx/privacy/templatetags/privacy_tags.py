"""``{% consent_banner %}`` and ``{% measure_meta %}`` for the site's base template."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from persx.privacy.consent import ConsentMode
from persx.privacy.middleware import consent_of

register = template.Library()


@register.inclusion_tag("privacy/_banner.html", takes_context=True)
def consent_banner(context: template.Context) -> dict[str, Any]:
    """The banner, while neither the visitor nor their browser (GPC) has said anything."""
    request = context.get("request")
    if request is None or getattr(request, "is_preview", False):
        return {"show": False}
    status = consent_of(request)
    return {
        "show": status.needs_choice,
        "opt_in": status.mode is ConsentMode.OPT_IN,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def measure_meta(context: template.Context) -> SafeString:
    """``<meta name="persx-measure">``: whether tracker.js may record this visitor."""
    request = context.get("request")
    measured = request is not None and consent_of(request).allows_measurement
    return format_html('<meta name="persx-measure" content="{}">', "yes" if measured else "no")
