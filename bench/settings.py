"""Settings of `make bench`: the test settings, plus the plain Wagtail page type of the
baseline (bench/plain_wagtail; its table is created in the bench's database only) and the
personalization master switch from the environment (PERSX_BENCH_PERSONALIZATION=off), so
the HTTP throughput run can serve the same page with personalization switched off."""

import os

from persx.settings.base import PERSX as BASE_PERSX
from persx.settings.test import *  # noqa: F403
from persx.settings.test import INSTALLED_APPS, PERSX

INSTALLED_APPS = [*INSTALLED_APPS, "bench.plain_wagtail"]
PERSX = {
    **PERSX,
    # The production decision budget (test settings give tests a generous one).
    "DECISION_BUDGET_MS": BASE_PERSX["DECISION_BUDGET_MS"],
    "PERSONALIZATION_ENABLED": os.environ.get("PERSX_BENCH_PERSONALIZATION", "on") != "off",
}
