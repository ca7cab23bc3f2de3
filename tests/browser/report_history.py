"""A stopped experiment with a few days of events, for the report screens in the browser.

Run inside the site's own database with ``manage.py shell -c`` (see ``load_command``); the
experiment is completed and scoped to no page, so it changes nothing other tests render.
"""

from __future__ import annotations

from tests.browser.support import INDUSTRIES

EXPERIMENT = "report-layout"


def load() -> None:
    from persx.experiments.models import Experiment
    from tests.web.analytics_events import EventLog, at

    Experiment.objects.create(
        key=EXPERIMENT,
        name="Report layout check",
        hypothesis="Personalized copy converts better.",
        status=Experiment.Status.STOPPED,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value="999999",  # matches no page
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
    )
    log = EventLog()
    for i in range(400):
        arm = "control" if i % 2 else "personalized"
        industry = INDUSTRIES[(i // 2) % len(INDUSTRIES)]
        visitor = f"layout{i}"
        log.exposure(visitor, at(i % 4), experiment=EXPERIMENT, arm=arm, industry=industry)
        if (i % 7 == 0) if arm == "personalized" else (i % 11 == 1):
            log.event("form_submission", visitor, at(i % 4, 12))
    log.save()


def load_command() -> tuple[str, ...]:
    return ("shell", "-c", "from tests.browser.report_history import load; load()")
