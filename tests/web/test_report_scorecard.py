"""The seed's success criteria scorecard: each line's status and evidence, on the overview
page and in the weekly report, from a history stored as raw events and rolled up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from persx.analytics.overview import build_overview
from persx.analytics.scorecard import scorecard
from persx.analytics.services import update_rollups
from persx.charts.number_format import percent
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.monitoring.weekly_report import build_weekly_report, render_html
from tests.web.analytics_events import EventLog, at

pytestmark = pytest.mark.django_db

# (industry, day, held-out visitors, their conversions, other visitors, their conversions):
# SaaS in March converts 10% held out vs 20% personalized (PLI +100%); fintech in April
# 20% vs 10% (PLI -50%).
PLAN = (("saas", 0, 10, 1, 30, 6), ("fintech", 31, 10, 2, 30, 3))


@pytest.fixture(autouse=True)
def quarter_holdout() -> Iterator[None]:
    with override_settings(PERSX={**settings.PERSX, "HOLDOUT_SHARE": 0.25}):
        yield


@pytest.fixture
def history() -> None:
    log = EventLog()
    for industry, day, held, held_conv, rest, rest_conv in PLAN:
        for i in range(held + rest):
            visitor = f"{industry}{i}"
            if i < held:
                log.exposure(
                    visitor,
                    at(day),
                    experiment=HOLDOUT_EXPERIMENT,
                    arm="holdout",
                    industry=industry,
                )
                converts = i < held_conv
            else:
                log.natural_exposure(visitor, at(day), industry=industry)
                converts = i - held < rest_conv
            if converts:
                log.event("form_submission", visitor, at(day, 12))
    log.add("exposure", "broken1", at(35), reason="error", block="hero", variant="generic")
    log.save()
    update_rollups()


def test_each_line_has_its_status_and_evidence(history: None) -> None:
    lines = {line.key: line for line in scorecard(build_overview(), at(40))}
    assert list(lines) == ["share", "pli", "errors", "refresh", "monthly"]

    share = lines["share"]
    assert share.status == "not met"  # 60 of 80 profiled visitors: 75%
    assert "60 of 80" in share.evidence[0].figure
    assert share.evidence[0].url == reverse("persx_analytics_overview")

    pli = lines["pli"]
    assert pli.status == "not met"
    assert len(pli.evidence) == 2
    figures = " ".join(e.figure for e in pli.evidence)
    assert percent(1.0, 0, signed=True) in figures
    assert percent(-0.5, 0, signed=True) in figures
    assert all(e.url.endswith(f"/{HOLDOUT_EXPERIMENT}/") for e in pli.evidence)

    errors = lines["errors"]
    assert errors.status == "not met"
    assert errors.evidence[0].figure.startswith("1 error")
    assert errors.evidence[0].period == "last 30 days"
    # Outside the 30-day window the error no longer counts.
    later = {line.key: line for line in scorecard(build_overview(), at(70))}
    assert later["errors"].status == "met"

    # The demo pages with variants were published when the test database was made.
    now = timezone.now()
    assert scorecard(build_overview(), now)[3].status == "met"
    stale = scorecard(build_overview(), now + timedelta(days=91))[3]
    assert stale.status == "not met"
    assert stale.evidence
    assert all("/pages/" in e.url and "last published" in e.figure for e in stale.evidence)

    monthly = lines["monthly"]
    assert [e.period for e in monthly.evidence] == ["2026-03", "2026-04"]
    assert percent(1.0, 0, signed=True) in monthly.evidence[0].figure
    assert percent(-0.5, 0, signed=True) in monthly.evidence[1].figure
    assert monthly.status == "not met"  # the latest month is below +15%


def test_a_comparison_without_data_is_unknown() -> None:
    lines = {line.key: line for line in scorecard(build_overview(), at(40))}
    assert lines["share"].status == "unknown"
    assert lines["pli"].status == "unknown"
    assert lines["monthly"].status == "unknown"
    assert lines["errors"].status == "met"


def test_overview_page_and_weekly_report_show_the_scorecard(history: None, admin_client) -> None:  # type: ignore[no-untyped-def]
    html = admin_client.get(reverse("persx_analytics_overview")).content.decode()
    assert 'data-testid="scorecard"' in html
    for key in ("share", "pli", "errors", "refresh", "monthly"):
        assert f'data-testid="score-{key}"' in html
    weekly = build_weekly_report(at(35).date())
    assert [line.key for line in weekly.scorecard] == [
        "share",
        "pli",
        "errors",
        "refresh",
        "monthly",
    ]
    email = render_html(weekly)
    assert 'data-testid="scorecard"' in email
    assert (
        f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{reverse('persx_analytics_overview')}"
        in email
    )
