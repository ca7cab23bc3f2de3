"""simulate_traffic: synthetic visitors through the real site end to end, into the rollups."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client, override_settings

from persx.analytics.models import DailyRollup, ExperimentVisitor
from persx.analytics.reports import report_for
from persx.demo import simulation, traffic_plan
from persx.demo.models import SimulatedExperiment, SimulatedVisitor
from persx.demo.simulation_records import SIMULATION_EXPERIMENT, ensure_simulation_experiment
from persx.events import exposure_writer
from persx.events.models import Event
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.experiments.services import start_experiment
from persx.leads.models import Lead
from persx.profiles.models import VisitorProfileRecord

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
    plan = traffic_plan.Plan(
        visitors=60,
        industries={"saas": 1.0, "healthcare": 1.0, "travel": 1.0},
        lifts=traffic_plan.parse_lifts("0.5"),
        baselines=traffic_plan.parse_baselines("0.25,cta_click=0.2,return_visit=0.3"),
        days=3,
        seed=7,
    )
    result = simulation.run(plan)

    # The run created the experiment and stopped it again: real visitors are not split.
    experiment = Experiment.objects.get(key=SIMULATION_EXPERIMENT)
    assert experiment.status == Experiment.Status.STOPPED
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
    # Form completion: every submitter started the form first; its denominator is starters.
    starters = Event.objects.filter(type="form_start").values("visitor_id").distinct().count()
    assert starters >= submitted
    assert rollup_total("form_completion", "visitors") == starters
    assert rollup_total("form_completion", "conversions") == submitted
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
    assert f"'{SIMULATION_EXPERIMENT}' runs during the run only and is stopped afterwards" in text
    assert "simulate_traffic --clear" in text
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
    plan = traffic_plan.Plan(
        visitors=1,
        industries={"saas": 1.0},
        lifts=traffic_plan.parse_lifts("0.1,saas=0.3,saas:cta_click=0.5,*:email_signup=0.2"),
    )
    assert plan.lift("saas", "cta_click") == 0.5
    assert plan.lift("saas", "form_submission") == 0.3
    assert plan.lift("travel", "email_signup") == 0.2
    assert plan.lift("travel", "form_submission") == 0.1
    assert plan.probability("saas", "form_submission", personalized=True) == pytest.approx(0.039)
    assert plan.probability("saas", "form_submission", personalized=False) == 0.03


def small_plan(seed: int = 3, visitors: int = 16) -> traffic_plan.Plan:
    return traffic_plan.Plan(
        visitors=visitors,
        industries={"saas": 1.0, "healthcare": 1.0},
        lifts=traffic_plan.parse_lifts("0.5"),
        baselines=traffic_plan.parse_baselines("0.5,cta_click=0.3,return_visit=0.3"),
        days=3,
        seed=seed,
    )


def test_an_experiment_that_was_running_stays_running_and_a_stopped_one_is_stopped_again() -> None:
    simulation.run(small_plan(visitors=4))  # creates it (then stops it)
    experiment = Experiment.objects.get(key=SIMULATION_EXPERIMENT)
    assert experiment.status == Experiment.Status.STOPPED
    before = ExperimentVisitor.objects.filter(experiment=SIMULATION_EXPERIMENT).count()

    # A stopped experiment runs again for the next run (its visitors are assigned) ...
    simulation.run(small_plan(seed=4, visitors=5))
    assert ExperimentVisitor.objects.filter(experiment=SIMULATION_EXPERIMENT).count() == before + 5
    assert Experiment.objects.get(key=SIMULATION_EXPERIMENT).status == Experiment.Status.STOPPED

    # ... and one somebody started stays running.
    start_experiment(SIMULATION_EXPERIMENT)
    simulation.run(small_plan(seed=5, visitors=2))
    assert Experiment.objects.get(key=SIMULATION_EXPERIMENT).status == Experiment.Status.RUNNING


def test_after_a_run_a_real_visitor_sees_no_experiment_arm() -> None:
    call_command("simulate_traffic", "--visitors", "3", "--seed", "9", stdout=StringIO())
    invalidate_experiments()
    client = Client()
    client.get("/contact/?industry=saas")
    exposure_writer.flush()
    real = Event.objects.exclude(
        visitor_id__in=SimulatedVisitor.objects.values("visitor_id")
    ).filter(type="exposure")
    assert real.exists()
    assert not real.filter(experiment=SIMULATION_EXPERIMENT).exists()


def rollup_rows() -> list[tuple[object, ...]]:
    return sorted(
        DailyRollup.objects.values_list(
            "day", "experiment", "arm", "industry", "variant", "metric", "visitors", "conversions"
        )
    )


def real_visitor_with_a_lead(industry: str, email: str) -> Client:
    client = Client()
    client.get(f"/contact/?industry={industry}")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    client.put(
        "/api/personalization",
        data=json.dumps({"industry": industry}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    response = client.post(
        "/contact/submit/",
        {"name": "Real Person", "email": email, "variant": "generic", "next": "/contact/"},
    )
    assert response.status_code == 302
    return client


def test_clear_removes_exactly_the_simulated_data_and_rebuilds_the_rollups() -> None:
    real_visitor_with_a_lead("travel", "real-1@example.com")
    real_visitor_with_a_lead("saas", "real-2@example.com")
    exposure_writer.flush()
    call_command("persx_rollup", stdout=StringIO())
    rollups_before = rollup_rows()
    assert rollups_before

    call_command(
        "simulate_traffic", "--visitors", "25", "--days", "3", "--baseline", "0.5",
        "--seed", "11", stdout=StringIO(),
    )  # fmt: skip
    simulated = set(SimulatedVisitor.objects.values_list("visitor_id", flat=True))
    assert len(simulated) == 25
    assert Lead.objects.filter(visitor_id__in=simulated).exists()
    assert VisitorProfileRecord.objects.filter(visitor_id__in=simulated).exists()
    assert rollup_rows() != rollups_before
    # A lead from somebody without a profile (blank visitor id) arrives after the run.
    Client().post("/contact/submit/", {"name": "No Profile", "email": "np@example.com"})
    real_events = set(
        Event.objects.exclude(visitor_id__in=simulated).values_list("event_id", flat=True)
    )
    real_leads = set(Lead.objects.exclude(visitor_id__in=simulated).values_list("pk", flat=True))
    real_records = set(
        VisitorProfileRecord.objects.exclude(visitor_id__in=simulated).values_list(
            "visitor_id", flat=True
        )
    )
    assert len(real_leads) == 3
    assert len(real_records) == 2

    out = StringIO()
    call_command("simulate_traffic", "--clear", stdout=out)

    assert set(Event.objects.values_list("event_id", flat=True)) == real_events
    assert set(Lead.objects.values_list("pk", flat=True)) == real_leads
    assert set(VisitorProfileRecord.objects.values_list("visitor_id", flat=True)) == real_records
    assert not SimulatedVisitor.objects.exists()
    assert "Removed 25 simulated visitors" in out.getvalue()
    # The experiment the simulation created is gone (no real visitor was in it) and the
    # rollups are again what the real visitors alone gave.
    assert not Experiment.objects.filter(key=SIMULATION_EXPERIMENT).exists()
    assert f"experiment(s) {SIMULATION_EXPERIMENT} deleted" in out.getvalue()
    assert rollup_rows() == rollups_before


def test_clear_keeps_an_experiment_the_simulation_did_not_create() -> None:
    ensure_simulation_experiment()  # as if somebody had defined it
    SimulatedExperiment.objects.all().delete()
    call_command("simulate_traffic", "--visitors", "3", stdout=StringIO())
    call_command("simulate_traffic", "--clear", stdout=StringIO())
    assert Experiment.objects.filter(key=SIMULATION_EXPERIMENT).exists()
    assert not Event.objects.filter(experiment=SIMULATION_EXPERIMENT).exists()


def test_under_opt_in_simulated_visitors_accept_analytics_and_are_counted() -> None:
    with override_settings(PERSX={**settings.PERSX, "CONSENT_MODE": "opt_in"}):
        simulation.run(small_plan(seed=6, visitors=4))
        stored = set(Event.objects.exclude(visitor_id="").values_list("consent", flat=True))
        assert stored == {"granted"}
        assert rollup_total("cta_click", "visitors") > 0
