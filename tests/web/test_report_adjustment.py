"""The reports' regression adjustment (CUPED), account unit and "when will we know", on
planted histories stored as raw events and rolled up by the real services.

docs/statistics.md, "Regression adjustment in the reports". The planted world: a visitor's
chance to submit the contact form after exposure depends on how many pages they viewed
before it (new visitors 2%, one page 6%, 2-4 pages 15%, 5 or more 50%); the treatment
multiplies every chance by 1.5, so the true PLI is +50%. One fixed-seed draw: the adjusted
interval is asserted to cover the planted lift and to be narrower than the unadjusted one
(the calibration of both over 5,000 draws is tests/engine/statistics).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from persx.analytics.forecast import quarter_end
from persx.analytics.report_export import report_csv, report_json
from persx.analytics.report_model import ALL_INDUSTRIES, TARGET_PLI
from persx.analytics.report_queries import find_design
from persx.analytics.reports import build_report
from persx.analytics.services import update_rollups
from persx.engine.statistics import time_to_power
from persx.experiments.models import Experiment
from persx.experiments.repository import invalidate_experiments
from tests.web.analytics_events import EventLog, measured_experiment

pytestmark = pytest.mark.django_db

BAND_VIEWS = (0, 1, 3, 6)
BAND_SHARE = (0.55, 0.2, 0.15, 0.1)
BAND_RATE = (0.02, 0.06, 0.15, 0.50)
PLANTED = 0.5


@pytest.fixture(autouse=True)
def no_leaked_experiments() -> Iterator[None]:
    invalidate_experiments()
    yield
    invalidate_experiments()


def make_experiment(key: str) -> Experiment:
    return measured_experiment(
        key, f"Adjustment test {key}", secondary_metrics=["cta_click"], sequential_tuning_n=8000
    )


def visitor(
    log: EventLog, key: str, name: str, arm: str, views: int, converts: bool, day: int
) -> None:
    # Noon of a past UTC day (day 0: yesterday), whatever the time of day the test runs at:
    # "now minus a few hours" put day 0 on yesterday between midnight and 03:00 UTC.
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight - timedelta(days=day, hours=12)
    for i in range(views):  # history before the first exposure
        log.add("page_view", name, start + timedelta(minutes=i), page=f"/blog/{i}/")
    exposed = start + timedelta(minutes=30)
    log.exposure(name, exposed, experiment=key, arm=arm, industry="saas")
    if converts:
        log.event("form_submission", name, exposed + timedelta(minutes=5))


def planted_history(key: str, per_arm: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    log = EventLog()
    for arm, factor in (("control", 1.0), ("personalized", 1 + PLANTED)):
        bands = rng.choice(4, size=per_arm, p=BAND_SHARE)
        for i, band in enumerate(bands):
            converts = bool(rng.random() < BAND_RATE[band] * factor)
            visitor(log, key, f"{arm[:4]}{seed}v{i}", arm, BAND_VIEWS[band], converts, i % 10)
    log.save()
    update_rollups()


def test_adjusted_interval_is_narrower_and_covers_the_planted_lift() -> None:
    make_experiment("exp-cuped")
    planted_history("exp-cuped", per_arm=500, seed=7)
    report = build_report(find_design("exp-cuped"))  # type: ignore[arg-type]
    pooled = next(a for a in report.adjusted if a.segment == ALL_INDUSTRIES)
    assert report.unit == "visitor"
    assert pooled.unit == "visitor"
    assert pooled.visitors == 1000
    assert pooled.returning_share == pytest.approx(0.45, abs=0.05)
    assert pooled.adjusted.lower is not None
    assert pooled.adjusted.upper is not None
    assert pooled.unadjusted.lower is not None
    assert pooled.unadjusted.upper is not None
    assert pooled.adjusted.lower <= PLANTED <= pooled.adjusted.upper
    adjusted_width = pooled.adjusted.upper - pooled.adjusted.lower
    unadjusted_width = pooled.unadjusted.upper - pooled.unadjusted.lower
    assert adjusted_width < 0.9 * unadjusted_width
    assert pooled.variance_reduction is not None
    assert pooled.variance_reduction > 0.15
    assert not pooled.signs_disagree
    assert not pooled.imbalanced
    # The unadjusted side at visitor level is the rollup report's own PLI.
    primary = report.primary()
    assert primary is not None
    assert primary.lift is not None
    assert pooled.unadjusted.lift == pytest.approx(primary.lift)


def test_the_sign_flag_fires_when_adjustment_reverses_the_lift() -> None:
    # Constructed: the treatment arm drew three times as many heavy returning visitors,
    # but converts less than the control within every band.
    make_experiment("exp-sign")
    log = EventLog()
    plan = {
        "control": [(0, 200, 4), (6, 20, 8)],  # (views before, visitors, converters)
        "personalized": [(0, 200, 2), (6, 60, 21)],
    }
    for arm, bands in plan.items():
        n = 0
        for views, visitors, converters in bands:
            for i in range(visitors):
                visitor(log, "exp-sign", f"{arm[:4]}s{n}", arm, views, i < converters, n % 5)
                n += 1
    log.save()
    update_rollups()
    report = build_report(find_design("exp-sign"))  # type: ignore[arg-type]
    pooled = next(a for a in report.adjusted if a.segment == ALL_INDUSTRIES)
    assert pooled.unadjusted.lift is not None
    assert pooled.unadjusted.lift > 0
    assert pooled.adjusted.lift is not None
    assert pooled.adjusted.lift < 0
    assert pooled.signs_disagree
    assert pooled.imbalanced  # 60 of 260 vs 20 of 220 heavy visitors: not chance


def test_exports_say_unit_family_and_adjustment(admin_client) -> None:  # type: ignore[no-untyped-def]
    make_experiment("exp-export")
    planted_history("exp-export", per_arm=150, seed=3)
    report = build_report(find_design("exp-export"))  # type: ignore[arg-type]
    data = report_json(report)
    assert data["unit"] == "visitor"
    assert data["metric_family"] == "conversion"
    assert data["experiment"]["randomization_unit"] == "visitor"
    assert {c["adjusted"] for c in data["comparisons"]} == {False}
    assert {c["unit"] for c in data["comparisons"]} == {"visitor"}
    assert data["adjusted"][0]["unit"] == "visitor"
    assert data["adjusted"][0]["adjusted"]["lift"] is not None
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    adjusted_rows = [r for r in rows if r["adjusted"] == "yes"]
    assert adjusted_rows
    conversion = [r for r in rows if r["metric_family"] == "conversion"]
    pipeline = [r for r in rows if r["metric_family"] == "pipeline"]
    assert len(conversion) + len(pipeline) == len(rows)
    assert {r["unit"] for r in conversion} == {"visitor"}
    assert {r["unit"] for r in pipeline} == {"visitor", "account"}  # all still maturing
    assert {r["adjusted"] for r in pipeline} == {"no"}
    pooled = next(r for r in adjusted_rows if r["segment"] == ALL_INDUSTRIES)
    assert float(pooled["pli"]) == pytest.approx(data["adjusted"][0]["adjusted"]["lift"], 1e-5)
    page = admin_client.get(reverse("persx_analytics_report", args=["exp-export"]))
    html = page.content.decode()
    assert 'data-testid="adjusted-table"' in html
    assert 'data-testid="adjustment-chart"' in html
    assert 'data-testid="forecast-table"' in html
    assert "Unit: <strong>visitor</strong>" in html
    for url in ("persx_analytics_report_csv", "persx_analytics_report_json"):
        assert admin_client.get(reverse(url, args=["exp-export"])).status_code == 200


def test_when_will_we_know_follows_the_power_formula() -> None:
    make_experiment("exp-when")
    # 60 new visitors a day on the 10 days before today; the average covers today too
    # (no visitor yet): 600 over 11 days.
    planted_history("exp-when", per_arm=300, seed=5)
    report = build_report(find_design("exp-when"))  # type: ignore[arg-type]
    pooled = next(f for f in report.forecast if f.segment == ALL_INDUSTRIES)
    comparison = report.primary()
    assert comparison is not None
    today = timezone.now().date()
    assert report.traffic_days == 11
    assert pooled.daily_visitors == pytest.approx(600 / 11)
    assert pooled.horizon == quarter_end(today)
    expected = time_to_power(
        comparison.control.rate or 0.0,
        TARGET_PLI,
        comparison.control.visitors,
        comparison.treatment.visitors,
        600 / 11,
        (pooled.horizon - today).days,
        variance_factor=pooled.variance_factor,
    )
    assert pooled.visitors_needed == expected.visitors_needed
    assert pooled.ready_on == today + timedelta(days=math.ceil(expected.days))
    assert pooled.mde_at_horizon == pytest.approx(expected.mde_at_horizon)
    # The adjustment shortens the wait by its variance reduction.
    adjusted = next(a for a in report.adjusted if a.segment == ALL_INDUSTRIES)
    assert adjusted.variance_reduction is not None
    assert pooled.variance_factor == pytest.approx(1 - adjusted.variance_reduction)


@pytest.mark.parametrize(
    ("day", "end"), [("2026-01-01", "2026-03-31"), ("2026-11-15", "2026-12-31")]
)
def test_quarter_end(day: str, end: str) -> None:
    from datetime import date

    assert quarter_end(date.fromisoformat(day)) == date.fromisoformat(end)


def test_shared_accounts_make_the_interval_account_level() -> None:
    # 60 accounts of 8 visitors per arm, all known before exposure; an account's visitors
    # convert together (all or none), the strongest intra-account correlation.
    from persx.accounts.models import Account, Provenance, VisitorAccountLink

    make_experiment("exp-acct")
    rng = np.random.default_rng(11)
    log = EventLog()
    links = []
    start = timezone.now().replace(microsecond=0) - timedelta(days=3)
    for arm, rate in (("control", 0.2), ("personalized", 0.3)):
        for a in range(60):
            account = Account.objects.create(domain=f"{arm[:4]}{a}.example", size="51-200")
            converts = bool(rng.random() < rate)
            for v in range(8):
                name = f"{arm[:4]}a{a}v{v}"
                links.append(
                    VisitorAccountLink(
                        visitor_id=name,
                        account=account,
                        provenance=Provenance.FIRMOGRAPHIC,
                        linked_at=start - timedelta(days=1),
                    )
                )
                log.exposure(name, start, experiment="exp-acct", arm=arm, industry="saas")
                if converts:
                    log.event("form_submission", name, start + timedelta(minutes=5))
    # A link made after exposure (a contact form's work email) is not used for the unit.
    late = Account.objects.create(domain="late.example")
    links += [
        VisitorAccountLink(
            visitor_id=f"persa{a}v0",
            account=late,
            provenance=Provenance.WORK_EMAIL,
            linked_at=start + timedelta(hours=1),
        )
        for a in range(5)
    ]
    VisitorAccountLink.objects.bulk_create(links)
    log.save()
    update_rollups()
    report = build_report(find_design("exp-acct"))  # type: ignore[arg-type]
    assert report.unit == "account"
    pooled = next(a for a in report.adjusted if a.segment == ALL_INDUSTRIES)
    assert pooled.unit == "account"
    assert pooled.units == 120  # the late links did not merge anyone into late.example
    assert pooled.visitor_level is not None
    account_width = (pooled.unadjusted.upper or 0) - (pooled.unadjusted.lower or 0)
    visitor_width = (pooled.visitor_level.upper or 0) - (pooled.visitor_level.lower or 0)
    # Design effect 1 + (8 - 1)·1 = 8: the visitor-level interval is about √8 too narrow.
    assert account_width / visitor_width == pytest.approx(8**0.5, rel=0.25)
    assert report_json(report)["unit"] == "account"
