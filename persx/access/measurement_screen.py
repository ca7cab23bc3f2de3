"""The base of the measurement screens (reports, overview, bandits, health, weekly reports,
inference, persona review): an admin screen that answers 403 without the measurement
permission, with breadcrumbs that lead back through its parent screen when it names one."""

from __future__ import annotations

from persx.access.admin_screen import AdminScreen
from persx.access.measurement import MeasurementPermissionRequired


class MeasurementScreen(MeasurementPermissionRequired, AdminScreen):
    pass
