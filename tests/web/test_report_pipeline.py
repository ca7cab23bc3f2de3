"""The report's pipeline section (CRM outcomes per arm, persx/analytics/report_pipeline.py):
matured visitors in the numbers, maturing ones marked and never counted as zero, and the
exports saying unit, metric family and adjustment. Outcomes are stored through the outcomes
service (validation, matching to the lead's visitor)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from persx.analytics.models import ExperimentVisitor
from persx.analytics.report_export import report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES
from persx.analytics.report_pipeline import pipeline_section
from persx.analytics.report_queries import find_design
from persx.analytics.reports import build_report
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead
from persx.outcomes.models import Integration
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord

pytestmark = pytest.mark.django_db

KEY = "exp-pipe"
SEGMENTS = [(ALL_INDUSTRIES, "All industries")]


@pytest.fixture(autouse=True)
def experiment() -> Iterator[None]:
    invalidate_experiments()
    Experiment.objects.create(
        key=KEY,
        name="Pipeline test",
        status=Experiment.Status.RUNNING,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value="999999",
        arms=[
            {"key": "control", "kind": "generic", "weight": 0.5},
            {"key": "personalized", "kind": "personalized", "weight": 0.5},
        ],
        primary_metric="form_submission",
    )
    yield
    invalidate_experiments()


def plant(matured_days_ago: int, maturing_days_ago: int) -> None:
    """Per arm 40 visitors exposed ``matured_days_ago`` (window of 30 days closed) and 10
    exposed ``maturing_days_ago``. Qualified leads: control 4 matured, treatment 8 matured
    and all 10 maturing (which must not count yet)."""
    now = timezone.now()
    rows, outcomes = [], []
    for arm, qualified in (("control", 4), ("personalized", 8)):
        for i in range(50):
            visitor = f"{arm[:4]}{i}"
            matured = i < 40
            exposed = now - timedelta(days=matured_days_ago if matured else maturing_days_ago)
            rows.append(
                ExperimentVisitor(
                    experiment=KEY,
                    visitor_id=visitor,
                    arm=arm,
                    industry="saas",
                    first_exposed_at=exposed,
                    first_day=exposed.date(),
                    first_event_id=0,
                )
            )
            if (matured and i < qualified) or (not matured and arm == "personalized"):
                lead = Lead.objects.create(
                    name=visitor, email=f"{visitor}@co{visitor}.example", visitor_id=visitor
                )
                outcomes.append(
                    OutcomeRecord.model_validate(
                        {
                            "outcome_id": f"q-{visitor}",
                            "stage": "qualified_lead",
                            "occurred_at": exposed + timedelta(days=2),
                            "lead_id": lead.pk,
                        }
                    )
                )
    ExperimentVisitor.objects.bulk_create(rows)
    integration = Integration.objects.create(name="crm")
    result = check_and_store(integration, outcomes)
    assert result.ok, result.problems


def test_matured_visitors_count_and_maturing_ones_are_marked() -> None:
    plant(matured_days_ago=60, maturing_days_ago=5)
    design = find_design(KEY)
    assert design is not None
    section = pipeline_section(design, SEGMENTS, timezone.now())
    assert section is not None
    assert section.window_days == 30
    assert section.maturing == 20
    rate = next(
        r for r in section.rows if r.metric == "qualified_leads" and r.segment == ALL_INDUSTRIES
    )
    assert (rate.control_visitors, rate.treatment_visitors) == (40, 40)
    assert (rate.control_maturing, rate.treatment_maturing) == (10, 10)
    # 8/40 vs 4/40: the 10 maturing treated visitors' qualified leads are not in the rate.
    assert rate.control_value == pytest.approx(0.1)
    assert rate.treatment_value == pytest.approx(0.2)
    assert rate.lift == pytest.approx(1.0)
    assert rate.lower is not None
    assert rate.upper is not None
    assert rate.lower < 1.0 < rate.upper
    assert {(r.metric_family, r.adjusted) for r in section.rows} == {("pipeline", False)}
    assert {r.unit for r in section.rows} == {"visitor", "account"}


def test_a_cohort_still_maturing_is_never_shown_as_zero() -> None:
    plant(matured_days_ago=10, maturing_days_ago=5)  # every window still open
    report = build_report(find_design(KEY))  # type: ignore[arg-type]
    assert report.pipeline is not None
    assert report.pipeline.maturing == 100
    for row in report.pipeline.rows:
        assert row.control_value is None
        assert row.treatment_value is None
        assert row.lift is None
        assert row.note == "every visitor is still maturing"
    data = report_json(report)
    assert data["pipeline"]["maturing"] == 100
    rows = [
        r
        for r in csv.DictReader(io.StringIO(report_csv(report)))
        if r["metric_family"] == "pipeline"
    ]
    assert rows
    assert all(r["control_value"] == "" and r["pli"] == "" for r in rows)
    assert all(r["maturing_visitors"] == "100" for r in rows if r["segment"] == ALL_INDUSTRIES)
    assert {r["adjusted"] for r in rows} == {"no"}
