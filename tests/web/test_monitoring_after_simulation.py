"""Issue 15 #4: after `make simulate` the health dashboard and the weekly report showed one
dot for today, "no data" for the personalization rate and "—" on every PLI row. The run now
recounts the monitor's hourly counts for the days it made, and with no global holdout (the
demo's PERSX_HOLDOUT_SHARE is 0) the weekly report takes its PLI from the experiment that
compared personalized with generic content that week, and says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape as html_unescape
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from persx.demo.simulation_records import SIMULATION_EXPERIMENT
from persx.events import exposure_writer
from persx.experiments.repository import invalidate_experiments
from persx.monitoring.dashboard import TREND_DAYS, daily_counts
from persx.monitoring.health import SITE
from persx.monitoring.models import HealthCount, WeeklyReport

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_like() -> Iterator[None]:
    """The demo's measurement settings: no global holdout, analytics on consent."""
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    demo = {"HOLDOUT_SHARE": 0.0, "CONSENT_MODE": "opt_in", "DECISION_BUDGET_MS": 60_000.0}
    with override_settings(PERSX={**settings.PERSX, **demo}):
        yield
    invalidate_experiments()


def simulate_two_weeks() -> str:
    # Visitors are split between the arms at random (new visitor ids each run): a high
    # baseline makes an arm of an industry without a conversion (a PLI of "—") a
    # one-in-a-million event even with ~6 visitors per arm and industry.
    out = StringIO()
    call_command(
        "simulate_traffic", "--visitors", "40", "--days", "14", "--baseline", "0.9",
        "--industries", "saas,healthcare,travel", "--seed", "3", stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_after_a_simulation_the_dashboard_trends_show_the_past_days(admin_client: Client) -> None:
    out = simulate_two_weeks()
    today = timezone.now().date()
    days = [today - timedelta(days=TREND_DAYS - 1 - i) for i in range(TREND_DAYS)]
    counts = daily_counts(SITE, days)
    past = [d for d in days if d < today and counts.get(d, {}).get("page_views")]
    assert len(past) >= 2, counts
    assert all(counts[d].get("personalized_views", 0) > 0 for d in past)
    assert "Health: hourly counts recounted since" in out
    page = admin_client.get("/cms/health/")
    assert page.status_code == 200


def test_after_a_simulation_the_weekly_report_has_numbers_and_says_what_it_compared() -> None:
    out = simulate_two_weeks()
    assert "manage.py persx_weekly_report --no-email" in out
    call_command("persx_weekly_report", "--no-email", stdout=StringIO())  # last week
    html = WeeklyReport.objects.latest("created_at").html
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))

    rate = re.search(r"Personalization rate \(page views\) ([\d.]+)%", text)
    assert rate is not None, text
    assert float(rate.group(1)) > 0
    # The PLI rows: the experiment the run measured, numbers, and which comparison it is.
    assert "global holdout is off (PERSX_HOLDOUT_SHARE is 0)" in text
    assert f"Experiment {SIMULATION_EXPERIMENT} (stopped, fixed allocation)" in text
    tables = re.findall(r'data-testid="pli-table">(.*?)</table>', html, re.S)
    assert len(tables) == 1
    cells = [
        html_unescape(re.sub(r"<[^>]+>", "", c).strip())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", tables[0])
    ]
    rows = [cells[i : i + 5] for i in range(0, len(cells), 5)]
    assert rows[0][0] == "All industries"
    assert sorted(r[0] for r in rows[1:]) == ["Healthcare", "SaaS", "Travel & Hospitality"]
    assert all(re.fullmatch(r"[+−]?[\d,]+\.\d%", r[2]) for r in rows), rows


def test_clear_takes_the_simulated_hours_out_of_the_health_counts() -> None:
    simulate_two_weeks()
    assert HealthCount.objects.filter(industry=SITE, measure="page_views").exists()
    out = StringIO()
    call_command("simulate_traffic", "--clear", stdout=out)
    assert "health counts recounted since" in out.getvalue()
    assert not HealthCount.objects.filter(industry=SITE, measure="page_views").exists()


def test_with_a_global_holdout_the_weekly_report_compares_against_it() -> None:
    with override_settings(PERSX={**settings.PERSX, "HOLDOUT_SHARE": 0.5}):
        simulate_two_weeks()
        call_command("persx_weekly_report", "--no-email", stdout=StringIO())
    html = WeeklyReport.objects.latest("created_at").html
    assert 'data-testid="pli-note"' not in html
    comparisons = re.findall(r'data-testid="pli-comparison">([^<]*)<', html)
    assert comparisons == [
        "Global holdout: profiled visitors shown personalized content against those held out "
        "with generic content, every visitor since the holdout began."
    ]
