"""A healthy simulated week through the real site pages raises no alert.

``simulate_traffic``'s engine drives visitors through the site (in-process test client),
spread over 7 days. Every rule is then evaluated once per simulated day with a one-day
window and a minimum sample the week reaches, so the rules really judge the traffic
(checked: scopes are judged "clear") and none fires.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from persx.demo import simulation, traffic_plan
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.repository import invalidate_experiments
from persx.monitoring.models import AlertRule, Incident, RuleState
from persx.monitoring.services import run_monitor_pass

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def generous_budget() -> Iterator[None]:
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    with override_settings(PERSX={**settings.PERSX, "DECISION_BUDGET_MS": 60_000.0}):
        yield
    invalidate_experiments()


def test_a_healthy_simulated_week_raises_no_alert() -> None:
    plan = traffic_plan.Plan(
        visitors=210,
        industries=dict.fromkeys(("saas", "healthcare", "travel", "ecommerce"), 1.0),
        lifts=traffic_plan.parse_lifts("0.2"),
        baselines=traffic_plan.parse_baselines("0.05,cta_click=0.1,return_visit=0.3"),
        days=7,
        seed=11,
    )
    simulation.run(plan)
    exposure_writer.writer().flush()
    assert Event.objects.filter(type="exposure").count() > 500
    AlertRule.objects.update(window_minutes=24 * 60, min_sample=40, for_minutes=0)

    end = timezone.now()
    judged_clear = 0
    for days_back in range(6, -1, -1):
        result = run_monitor_pass(end - timedelta(days=days_back), timedelta(days=7))
        assert result.opened == [], [i.summary for i in result.opened]
        for state in RuleState.objects.all():
            judged_clear += sum(
                1 for v in state.last_values.values() if v.get("judgement") == "clear"
            )
    assert Incident.objects.count() == 0
    # The rules judged real evidence, not only "insufficient data".
    assert judged_clear >= 7 * 2
