"""Who may see measurement: reports, exports, health, inference and the persona review.

A permission of its own (``persx_analytics.view_measurement``, declared on the analytics
rollup model), granted to the "Analysts" group and, as every permission, to superusers.
Wagtail admin access alone (an editor) is not enough. The check lives in this low layer so
every app that shows measured data (analytics, monitoring, inference, personas) applies
the same rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from wagtail.admin.menu import MenuItem

VIEW_MEASUREMENT = "persx_analytics.view_measurement"


def can_view_measurement(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(VIEW_MEASUREMENT))


class MeasurementPermissionRequired:
    """For class-based admin views: 403 without the measurement permission."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_measurement(request):
            raise PermissionDenied("viewing measurement needs the measurement permission")
        parent: Any = super()
        return parent.dispatch(request, *args, **kwargs)


def measurement_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For function views (downloads and exports): 403 without the permission."""
    return permission_required(VIEW_MEASUREMENT, raise_exception=True)(view)


class MeasurementOnlyMenuItem(MenuItem):
    """An admin menu item shown only to users who may see measurement."""

    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_measurement(request) and bool(super().is_shown(request))
