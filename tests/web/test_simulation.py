"""simulate_traffic: synthetic visitors through the real site end to end, into the rollups."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import override_settings

from persx.analytics.models import DailyRollup, ExperimentVisitor
from persx.analytics.reports import report_for
from persx.demo import simulation
from persx.demo.services import SIMULATION_EXPERIMENT
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def isolated() -> Iterator[None]:
    """Start with an empty exposure queue; leave no running experiment in the snapshot.

    The page's decision budget is made generous: on a loaded machine a 25 ms budget can run
    out and serve generic (outside the experiment), which is right for the site but would
    make exact counts here depend on timing.
    """
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    with override_settings(PERSX={**settings.PERSX, "DECISION_BUDGET_MS": 60_000.0}):
        yield
    invalidate_experiments()


def rollup_total(metric: str, field: str) -> int:
    rows = DailyRollup.objects.filter(experiment=SIMULATION_EXPERIMENT, metric=metric)
    return int(rows.aggregate(total=Sum(field))["total"] or 0)


def test_sixty_visitors_end_up_in_the_rollups_through_the_real_site() -> None:
    plan = simulation.Plan(
        visitors=60,
        industries={"saas": 1.0, "healthcare": 1.0, "travel": 1.0},
        lifts=simulation.parse_lifts("0.5"),
        baselines=simulation.parse_baselines("0.25,cta_click=0.2,return_visit=0.3"),
        days=3,
        seed=7,
    )
    result = simulation.run(plan)

    experiment = Experiment.objects.get(key=SIMULATION_EXPERIMENT)
    assert experiment.status == Experiment.Status.RUNNING
    assert result.visitors == 60
    assert set(result.by_industry) <= {"saas", "healthcare", "travel"}
    # Every visitor saw the contact form, so every one was exposed to the experiment, and
    # the server (not the simulator) wrote those exposures.
    exposures = Event.objects.filter(experiment=SIMULATION_EXPERIMENT, type="exposure")
    assert exposures.values("visitor_id").distinct().count() == 60
    assert ExperimentVisitor.objects.filter(experiment=SIMULATION_EXPERIMENT).count() == 60
    assert rollup_total("form_submission", "visitors") == 60
    arms = Counter(
        ExperimentVisitor.objects.filter(experiment=SIMULATION_EXPERIMENT).values_list(
            "arm", flat=True
        )
    )
    assert set(arms) <= {"control", "personalized"}
    assert result.personalized == arms.get("personalized", 0)
    # Conversions the simulator made are the conversions the rollups count.
    submitted = sum(n for (m, _), n in result.conversions.items() if m == "form_submission")
    clicked = sum(n for (m, _), n in result.conversions.items() if m == "cta_click")
    assert submitted > 0
    assert rollup_total("form_submission", "conversions") == submitted
    assert rollup_total("cta_click", "conversions") == clicked
    # Return visits: simulated on a later day by the backfill, counted within 7 days.
    returned = sum(n for (m, _), n in result.conversions.items() if m == "return_visit")
    assert returned > 0
    assert rollup_total("return_visit", "conversions") == returned
    assert Lead.objects.filter(company="Simulated Co").count() == submitted
    # Spread over past days by the backfill, and the report reads it.
    days = DailyRollup.objects.filter(experiment=SIMULATION_EXPERIMENT).values("day")
    assert 1 < days.distinct().count() <= 3
    assert result.events_backfilled > 0
    report = report_for(SIMULATION_EXPERIMENT)
    assert report is not None
    assert report.visitors == 60


def test_command_prints_progress_and_a_summary() -> None:
    out = StringIO()
    call_command(
        "simulate_traffic",
        "--visitors",
        "12",
        "--industries",
        "saas=2,travel=1",
        "--lift",
        "saas=0.3,travel:cta_click=0.5",
        "--seed",
        "2",
        stdout=out,
    )
    text = out.getvalue()
    assert f"Created the running experiment '{SIMULATION_EXPERIMENT}'" in text
    assert "Simulating [" in text
    assert "100.0%" in text
    assert "12 visitors" in text
    assert f"manage.py persx_report {SIMULATION_EXPERIMENT}" in text


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--industries", "atlantis=1", "industries: unknown atlantis"),
        ("--lift", "saas=lots", "lift: 'saas=lots' is not industry[:metric]=number"),
        ("--lift", "saas=-1", "must be a number above -1"),
        ("--baseline", "1.5", "must be a rate between 0 and 1"),
        ("--baseline", "signup=0.1", "unknown metric 'signup'"),
        ("--days", "0", "days must be at least 1"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(
    option: str, value: str, message: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("simulate_traffic", "--visitors", "1", option, value, stdout=StringIO())
    assert not Event.objects.exists()


def test_lifts_resolve_from_the_most_specific_entry() -> None:
    plan = simulation.Plan(
        visitors=1,
        industries={"saas": 1.0},
        lifts=simulation.parse_lifts("0.1,saas=0.3,saas:cta_click=0.5,*:email_signup=0.2"),
    )
    assert plan.lift("saas", "cta_click") == 0.5
    assert plan.lift("saas", "form_submission") == 0.3
    assert plan.lift("travel", "email_signup") == 0.2
    assert plan.lift("travel", "form_submission") == 0.1
    assert plan.probability("saas", "form_submission", personalized=True) == pytest.approx(0.039)
    assert plan.probability("saas", "form_submission", personalized=False) == 0.03
