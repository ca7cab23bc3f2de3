"""Reports read DailyRollup and compute with the engine: the same counts, the same numbers."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from persx.analytics.models import DailyRollup
from persx.analytics.report_export import CSV_COLUMNS, report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES, TARGET_PLI
from persx.analytics.report_queries import find_design
from persx.analytics.reports import build_report, report_for
from persx.analytics.services import update_rollups
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.statistics import (
    SegmentCounts,
    benjamini_hochberg,
    chance_to_win,
    minimum_detectable_effect,
    pool_relative_lifts,
    proportion_ttest,
    relative_lift,
    sequential_relative_lift,
    srm_test,
    underperformance_verdict,
    visitors_still_needed,
    welch_ttest,
)
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, at

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
METRICS = ("form_submission", "cta_click", "engagement")


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    """Experiments made here must not stay in the in-process running-experiments snapshot."""
    invalidate_experiments()
    yield
    invalidate_experiments()


def make_experiment(key: str = "exp-r", weights: tuple[float, float] = (0.5, 0.5)) -> Experiment:
    # A page scope no page has: the experiment can never touch another test's pages.
    return Experiment.objects.create(
        key=key,
        name=f"Report test {key}",
        status=Experiment.Status.STOPPED,
        scope_kind=Experiment.ScopeKind.PAGE,
        scope_value="999999",
        arms=[
            {"key": "control", "kind": "generic", "weight": weights[0]},
            {"key": "personalized", "kind": "personalized", "weight": weights[1]},
        ],
        primary_metric="form_submission",
        secondary_metrics=["cta_click", "engagement"],
        sequential_tuning_n=8000,
    )


def add_cells(
    experiment: str,
    rows: list[tuple[int, str, str, int, int]],
    metrics: tuple[str, ...] = METRICS,
    variant: str = "",
) -> None:
    """DailyRollup rows: (day offset, arm, industry, visitors, conversions) for each metric."""
    DailyRollup.objects.bulk_create(
        DailyRollup(
            day=DAY + timedelta(days=offset),
            experiment=experiment,
            arm=arm,
            industry=industry,
            variant=variant or f"industry:{industry}",
            metric=metric,
            visitors=visitors,
            conversions=conversions,
            value_sum=30.0 * conversions if metric == "engagement" else 0.0,
            value_sum_sq=1000.0 * conversions if metric == "engagement" else 0.0,
        )
        for offset, arm, industry, visitors, conversions in rows
        for metric in metrics
    )


# Known counts: pooled 300/10000 (control) vs 345/10000 (personalized): a row of the lift
# table in docs/statistics.md.
CELLS = [
    (0, "control", "saas", 2500, 70),
    (0, "personalized", "saas", 2500, 95),
    (1, "control", "saas", 2500, 80),
    (1, "personalized", "saas", 2500, 90),
    (0, "control", "healthcare", 3000, 90),
    (0, "personalized", "healthcare", 3000, 100),
    (1, "control", "travel", 2000, 60),
    (1, "personalized", "travel", 2000, 60),
]


def test_pooled_numbers_equal_the_engine_on_the_same_counts() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    report = report_for("exp-r")
    assert report is not None
    c = report.comparison("personalized", ALL_INDUSTRIES, "form_submission")
    assert c is not None
    assert (c.control.visitors, c.control.conversions) == (10000, 300)
    assert (c.treatment.visitors, c.treatment.conversions) == (10000, 345)
    fieller = relative_lift(300, 10000, 345, 10000)
    assert c.lift == pytest.approx(0.15)
    assert (c.lower, c.upper) == (fieller.lower, fieller.upper)
    assert round(c.lower or 0, 4) == -0.0123  # docs/statistics.md: [−1.23%, +34.12%]
    assert round(c.upper or 0, 4) == 0.3412
    sequential = sequential_relative_lift(300, 10000, 345, 10000, tuning_n=8000)
    assert (c.sequential_lower, c.sequential_upper) == (sequential.lower, sequential.upper)
    assert c.chance_to_win == chance_to_win(300, 10000, 345, 10000)
    assert round(c.chance_to_win or 0, 5) == 0.96409  # docs/statistics.md
    assert c.p_value == proportion_ttest(300, 10000, 345, 10000).p_value
    assert c.mde == minimum_detectable_effect(10000, 10000, 0.03)
    assert c.visitors_still_needed == visitors_still_needed(0.03, TARGET_PLI, 10000, 10000)
    verdict = report.verdict("personalized", ALL_INDUSTRIES)
    expected = underperformance_verdict(300, 10000, 345, 10000)
    assert verdict is not None
    assert verdict.status == expected.status.value
    assert verdict.visitors_still_needed == expected.visitors_still_needed


def test_a_lower_is_better_metric_turns_chance_to_win_around() -> None:
    experiment = make_experiment()
    experiment.secondary_metrics = ["bounce"]
    experiment.save()
    add_cells(
        "exp-r",
        [(0, "control", "saas", 5000, 4100), (0, "personalized", "saas", 5000, 4000)],
        metrics=("form_submission", "bounce"),
    )
    report = report_for("exp-r")
    assert report is not None
    bounce = report.comparison("personalized", ALL_INDUSTRIES, "bounce")
    assert bounce is not None
    assert bounce.lower_is_better
    # P(personalized bounces less) = 1 - P(its bounce rate is higher).
    assert bounce.chance_to_win == pytest.approx(1 - chance_to_win(4100, 5000, 4000, 5000))
    assert bounce.chance_to_win > 0.95


def test_engagement_is_a_welch_test_on_the_sums() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    report = report_for("exp-r")
    assert report is not None
    c = report.comparison("personalized", ALL_INDUSTRIES, "engagement")
    assert c is not None
    expected = welch_ttest(30.0 * 300, 1000.0 * 300, 10000, 30.0 * 345, 1000.0 * 345, 10000)
    assert c.kind == "mean"
    assert (c.lift, c.lower, c.upper, c.p_value) == (
        expected.estimate,
        expected.lower,
        expected.upper,
        expected.p_value,
    )
    assert c.control_value == pytest.approx(0.9)  # 9,000 s over 10,000 visitors


def test_industries_are_partially_pooled_and_bh_adjusted() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    report = report_for("exp-r")
    assert report is not None
    industries = ["saas", "healthcare", "travel"]
    slugs = [slug for slug, _ in report.segments]
    assert slugs[0] == ALL_INDUSTRIES
    assert sorted(slugs[1:]) == sorted(industries)
    pooling = pool_relative_lifts(
        [
            SegmentCounts("saas", 150, 5000, 185, 5000),
            SegmentCounts("healthcare", 90, 3000, 100, 3000),
            SegmentCounts("travel", 60, 2000, 60, 2000),
        ]
    )
    for slug, expected in zip(industries, pooling.segments, strict=True):
        c = report.comparison("personalized", slug, "form_submission")
        assert c is not None
        assert c.pooled_lift == pytest.approx(expected.lift)
        assert (c.pooled_lower, c.pooled_upper) == pytest.approx((expected.lower, expected.upper))
    family = [
        c
        for c in report.comparisons
        if not c.is_pooled and c.p_value is not None and c.arm == "personalized"
    ]
    assert len(family) == 3 * 3  # industries × metrics
    adjusted = benjamini_hochberg([c.p_value or 0.0 for c in family])
    assert [c.adjusted_p_value for c in family] == list(adjusted.adjusted)


def test_cumulative_pli_by_day_uses_running_totals() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    report = report_for("exp-r")
    assert report is not None
    (series,) = report.series
    assert [p.day for p in series.points] == [DAY, DAY + timedelta(days=1)]
    first, last = series.points
    assert (first.control_visitors, first.control_conversions) == (5500, 160)
    assert (first.treatment_visitors, first.treatment_conversions) == (5500, 195)
    day_one = relative_lift(160, 5500, 195, 5500)
    assert (first.lift, first.lower, first.upper) == pytest.approx(
        (day_one.lift, day_one.lower, day_one.upper)
    )
    assert (last.control_conversions, last.treatment_conversions) == (300, 345)
    assert last.sequential_lower == pytest.approx(
        sequential_relative_lift(300, 10000, 345, 10000, tuning_n=8000).lower
    )


@pytest.mark.parametrize(
    ("personalized", "flagged"),
    [(48_500, True), (49_900, False)],  # 3% of one arm's exposures dropped, vs noise
)
def test_srm_flags_a_planted_three_percent_drop(personalized: int, flagged: bool) -> None:
    make_experiment()
    add_cells(
        "exp-r",
        [(0, "control", "saas", 50_000, 1500), (0, "personalized", "saas", personalized, 1600)],
    )
    report = report_for("exp-r")
    assert report is not None
    expected = srm_test([50_000, personalized], [0.5, 0.5])
    assert report.srm.p_value == expected.p_value
    assert report.srm.flagged is flagged
    if flagged:
        assert report.srm.message.startswith("Traffic split problem")
        assert "Don't trust the results" in report.srm.message
        assert "50,000 in control and 48,500 in personalized" in report.srm.message
    else:
        assert report.srm.message.startswith("Traffic split looks healthy")


def test_srm_uses_the_configured_weights() -> None:
    make_experiment(weights=(0.2, 0.8))
    add_cells("exp-r", [(0, "control", "saas", 2000, 60), (0, "personalized", "saas", 8000, 250)])
    report = report_for("exp-r")
    assert report is not None
    assert not report.srm.flagged
    assert "20/80" in report.srm.message


def test_small_samples_say_insufficient_data_with_visitors_needed() -> None:
    make_experiment()
    add_cells(
        "exp-r",
        [(0, "control", "saas", 400, 12), (0, "personalized", "saas", 400, 9)],
    )
    report = report_for("exp-r")
    assert report is not None
    verdict = report.verdict("personalized", ALL_INDUSTRIES)
    assert verdict is not None
    assert verdict.status == "insufficient_data"
    assert (verdict.visitors_still_needed or 0) > 0
    assert f"{verdict.visitors_still_needed:,} more visitors needed" in verdict.message
    assert "Not enough data yet to detect a +15% lift" in report.sufficiency


def test_underperforming_only_when_the_evidence_supports_it() -> None:
    make_experiment()
    add_cells(
        "exp-r",
        [(0, "control", "saas", 40_000, 1600), (0, "personalized", "saas", 40_000, 1560)],
    )
    report = report_for("exp-r")
    assert report is not None
    verdict = report.verdict("personalized", ALL_INDUSTRIES)
    assert verdict is not None
    assert verdict.status == "underperforming"
    assert verdict.message.startswith("PLI −2.5%")


def test_holdout_report_compares_rest_with_the_held_out() -> None:
    log = EventLog()
    for i in range(40):
        arm = "holdout" if i < 10 else "rest"
        visitor = f"h{i}"
        if arm == "holdout":
            log.exposure(visitor, at(0), experiment=HOLDOUT_EXPERIMENT, arm="holdout")
        else:
            log.natural_exposure(visitor, at(0))
        if i % 5 == 0:
            log.event("form_submission", visitor, at(0, 12))
    log.save()
    update_rollups()
    with override_settings(PERSX={**settings.PERSX, "HOLDOUT_SHARE": 0.25}):
        design = find_design(HOLDOUT_EXPERIMENT)
        assert design is not None
        report = build_report(design)
    c = report.primary()
    assert c is not None
    assert (c.control.visitors, c.control.conversions) == (10, 2)
    assert (c.treatment.visitors, c.treatment.conversions) == (30, 6)
    assert report.srm.checked
    assert not report.srm.flagged  # 10/30 at a 25% holdout


def test_json_and_csv_exports_carry_the_report_numbers() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    report = report_for("exp-r")
    assert report is not None
    data = json.loads(json.dumps(report_json(report)))
    assert data["experiment"]["key"] == "exp-r"
    assert data["primary"]["lift"] == pytest.approx(0.15)
    assert data["srm"]["flagged"] is False
    assert len(data["cumulative"][0]["points"]) == 2
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == len(report.comparisons) == 4 * 3  # segments × metrics
    pooled = next(r for r in rows if r["segment"] == "all" and r["metric"] == "form_submission")
    assert (pooled["control_visitors"], pooled["treatment_conversions"]) == ("10000", "345")
    assert math.isclose(float(pooled["pli"]), 0.15, rel_tol=1e-6)
    assert math.isclose(float(pooled["pli_lower_95"]), report.primary().lower or 0, rel_tol=1e-5)
    assert {r["population"] for r in rows} == {data["population"]}
    assert data["population"].startswith("Consenting visitors only")


def test_persx_report_prints_the_same_numbers() -> None:
    make_experiment()
    add_cells("exp-r", CELLS)
    out = StringIO()
    call_command("persx_report", "exp-r", stdout=out)
    text = out.getvalue()
    assert "Experiment: Report test exp-r (exp-r)" in text
    assert "PLI +15.0% (95% interval −1.2% to +34.1%); 96% chance personalized is better" in text
    assert "Traffic split looks healthy" in text
    assert "All industries" in text
    assert "Healthcare" in text
    assert "Cumulative PLI by day" in text
    out = StringIO()
    call_command("persx_report", "exp-r", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["primary"]["treatment"]["conversions"] == 345


def test_persx_report_names_the_known_experiments_for_an_unknown_key() -> None:
    with pytest.raises(CommandError, match="no experiment 'nope'; known: global-holdout"):
        call_command("persx_report", "nope", stdout=StringIO())
