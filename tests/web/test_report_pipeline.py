"""The report's pipeline section (CRM outcomes per arm, persx/analytics/report_pipeline.py):
matured visitors in the numbers, maturing ones marked and never counted as zero, and the
exports saying unit, metric family and adjustment. Outcomes are stored through the outcomes
service (validation, matching to the lead's visitor)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from persx.analytics.models import ExperimentVisitor
from persx.analytics.report_export import report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES, PipelineRow
from persx.analytics.report_pipeline import pipeline_section
from persx.analytics.report_queries import find_design
from persx.analytics.reports import build_report
from persx.analytics.services import update_rollups
from persx.experiments.repository import invalidate_experiments
from persx.leads.models import Lead
from persx.outcomes.models import Integration
from persx.outcomes.services import check_and_store
from persx.outcomes.validation import OutcomeRecord
from tests.web.analytics_events import EventLog, measured_experiment

pytestmark = pytest.mark.django_db

KEY = "exp-pipe"
SEGMENTS = [(ALL_INDUSTRIES, "All industries")]


@pytest.fixture(autouse=True)
def experiment() -> Iterator[None]:
    invalidate_experiments()
    measured_experiment(KEY, "Pipeline test")
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
    assert {r.metric_family for r in section.rows} == {"pipeline"}
    assert {r.unit for r in section.rows} == {"visitor", "account"}
    adjusted = next(r for r in section.rows if r.metric == "qualified_leads" and r.adjusted)
    # The adjusted row counts the same matured visitors and keeps the maturing ones marked.
    assert (adjusted.control_visitors, adjusted.treatment_visitors) == (40, 40)
    assert (adjusted.control_maturing, adjusted.treatment_maturing) == (10, 10)


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


# A planted world for the regression adjustment: a visitor's chance of becoming a qualified
# lead depends on the pages they viewed before their first exposure (new 1%, one page 5%,
# 2-4 pages 20%, 5 or more 60%); 80% of the qualified leads become an opportunity worth
# 10,000. The treatment multiplies every chance by 1.5: the planted lift of every pipeline
# metric is +50%. One fixed-seed draw (the calibration of CUPED over 5,000 draws is in
# tests/engine/statistics).
BAND_VIEWS = (0, 1, 3, 6)
BAND_SHARE = (0.5, 0.2, 0.15, 0.15)
BAND_RATE = (0.01, 0.05, 0.20, 0.60)
PLANTED = 0.5
CUPED_KEY = "exp-pipe-cuped"


def planted_pipeline(per_arm: int, seed: int, key: str = CUPED_KEY) -> list[tuple[str, datetime]]:
    """Store the history as raw events (rolled up by the real service) and the outcomes
    through the outcomes service; returns each qualified visitor with their exposure time."""
    measured_experiment(key, "Pipeline CUPED test")
    rng = np.random.default_rng(seed)
    log = EventLog()
    outcomes, qualified = [], []
    for arm, factor in (("control", 1.0), ("personalized", 1 + PLANTED)):
        bands = rng.choice(4, size=per_arm, p=BAND_SHARE)
        draws = rng.random((per_arm, 2))
        for i, band in enumerate(bands):
            name = f"{arm[:4]}{seed}v{i}"
            start = timezone.now().replace(microsecond=0) - timedelta(days=40 + i % 10, hours=3)
            for view in range(BAND_VIEWS[band]):  # history before the first exposure
                log.add("page_view", name, start + timedelta(minutes=view), page=f"/blog/{view}/")
            exposed = start + timedelta(minutes=30)
            log.exposure(name, exposed, experiment=key, arm=arm, industry="saas")
            if draws[i, 0] >= BAND_RATE[band] * factor:
                continue
            qualified.append((name, exposed))
            lead = Lead.objects.create(name=name, email=f"{name}@{name}.example", visitor_id=name)
            stages = ["qualified_lead"] + (["opportunity"] if draws[i, 1] < 0.8 else [])
            for stage in stages:
                outcomes.append(
                    OutcomeRecord.model_validate(
                        {
                            "outcome_id": f"{stage}-{name}",
                            "record_id": f"deal-{name}",
                            "stage": stage,
                            "occurred_at": exposed + timedelta(days=3),
                            "lead_id": lead.pk,
                            "amount": "10000" if stage == "opportunity" else None,
                            "currency": "EUR",
                        }
                    )
                )
    log.save()
    update_rollups()
    result = check_and_store(Integration.objects.create(name=f"crm-{key}"), outcomes)
    assert result.ok, result.problems
    return qualified


def pooled_pipeline(key: str = CUPED_KEY) -> list[PipelineRow]:
    design = find_design(key)
    assert design is not None
    section = pipeline_section(design, SEGMENTS, timezone.now())
    assert section is not None
    return [r for r in section.rows if r.segment == ALL_INDUSTRIES]


def side_by_side(
    rows: list[PipelineRow], metric: str, unit: str = "visitor"
) -> tuple[PipelineRow, PipelineRow]:
    pooled = [r for r in rows if r.metric == metric and r.unit == unit]
    unadjusted = next(r for r in pooled if not r.adjusted)
    adjusted = next(r for r in pooled if r.adjusted)
    return unadjusted, adjusted


def width(row: PipelineRow) -> float:
    assert row.lower is not None
    assert row.upper is not None
    assert row.lower <= PLANTED <= row.upper, (row.metric, row.adjusted, row.lower, row.upper)
    return row.upper - row.lower


def test_adjusted_pipeline_intervals_are_no_wider_and_cover_the_planted_lift() -> None:
    planted_pipeline(per_arm=500, seed=3)
    rows = pooled_pipeline()
    for metric in ("qualified_leads", "opportunities", "pipeline_value", "pipeline_value_capped"):
        unadjusted, adjusted = side_by_side(rows, metric)
        assert (adjusted.control_visitors, adjusted.treatment_visitors) == (500, 500)
        assert adjusted.metric_family == "pipeline"
        assert width(adjusted) <= width(unadjusted), metric
        assert adjusted.variance_reduction is not None
        assert adjusted.variance_reduction > 0.1, metric
        assert not adjusted.signs_disagree
    unadjusted, adjusted = side_by_side(rows, "pipeline_value", "account")
    assert width(adjusted) <= width(unadjusted)

    report = build_report(find_design(CUPED_KEY))  # type: ignore[arg-type]
    flags = {
        (r["metric"], r["unit"], r["adjusted"])
        for r in csv.DictReader(io.StringIO(report_csv(report)))
        if r["metric_family"] == "pipeline" and r["segment"] == ALL_INDUSTRIES
    }
    assert ("qualified_leads", "visitor", "yes") in flags
    assert ("qualified_leads", "visitor", "no") in flags
    assert ("pipeline_value", "account", "yes") in flags
    assert ("pipeline_value_capped", "account", "yes") not in flags  # no per-visitor capping
    exported = report_json(report)["pipeline"]["rows"]
    assert {r["adjusted"] for r in exported} == {True, False}
    out = io.StringIO()
    call_command("persx_report", CUPED_KEY, stdout=out)
    text = out.getvalue()
    assert "unadjusted and CUPED-adjusted" in text
    assert "Qualified-lead rate, CUPED-adjusted" in text


def test_the_pipeline_adjustment_ignores_what_happened_after_exposure() -> None:
    """Page views after the first exposure (here: every qualified visitor comes back ten
    times, as buyers do) would predict the outcome almost perfectly and pull the adjusted
    lift towards zero if the covariate used them; the adjusted rows must not move."""
    qualified = planted_pipeline(per_arm=300, seed=5)
    rows = pooled_pipeline()
    before = side_by_side(rows, "qualified_leads")[1], side_by_side(rows, "pipeline_value")[1]
    log = EventLog()
    for name, exposed in qualified:
        for view in range(10):
            log.add("page_view", name, exposed + timedelta(hours=1 + view), page="/pricing/")
    log.save()
    update_rollups()
    rows = pooled_pipeline()
    after = side_by_side(rows, "qualified_leads")[1], side_by_side(rows, "pipeline_value")[1]
    for old, new in zip(before, after, strict=True):
        assert old.lift is not None
        assert (new.lift, new.lower, new.upper) == pytest.approx((old.lift, old.lower, old.upper))
        assert new.variance_reduction == pytest.approx(old.variance_reduction)
