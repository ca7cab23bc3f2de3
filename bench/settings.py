"""Settings of `make bench`'s in-process figures that compare PersX with itself (the
contact page on/off, scheduling, the studio, inference, bandits, ingestion, reporting,
monitoring): the test settings on a fresh SQLite database, with the production decision
budget. The figures compared with stock Wagtail, the HTTP throughput and the memory per
worker run on the production settings instead (bench/production_settings.py,
bench/production_site.py)."""

from persx.settings.base import PERSX as BASE_PERSX
from persx.settings.test import *  # noqa: F403
from persx.settings.test import PERSX

PERSX = {
    **PERSX,
    # The production decision budget (test settings give tests a generous one).
    "DECISION_BUDGET_MS": BASE_PERSX["DECISION_BUDGET_MS"],
}
