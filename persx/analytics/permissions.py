"""Who may see measurement: reports, the overview, their exports (and the health pages).

The rule itself is :mod:`persx.access.measurement` (shared with inference and the
persona review); here: the "Analysts" group (made by a data migration) and the admin menu
shown only to users who may see measurement.
"""

from __future__ import annotations

from django.http import HttpRequest
from wagtail.admin.menu import SubmenuMenuItem

from persx.access.measurement import (
    VIEW_MEASUREMENT,
    MeasurementPermissionRequired,
    can_view_measurement,
    measurement_required,
)

__all__ = [
    "ANALYSTS_GROUP",
    "VIEW_MEASUREMENT",
    "MeasurementMenuItem",
    "MeasurementPermissionRequired",
    "can_view_measurement",
    "measurement_required",
]

ANALYSTS_GROUP = "Analysts"


class MeasurementMenuItem(SubmenuMenuItem):
    """An admin menu shown only to users with the measurement permission."""

    def is_shown(self, request: HttpRequest) -> bool:
        return can_view_measurement(request) and bool(super().is_shown(request))
