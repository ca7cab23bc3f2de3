"""The health dashboard, the weekly report (command, email, stored copy) and the admin lists."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from persx.monitoring.models import Incident, WeeklyReport
from persx.monitoring.services import run_monitor_pass
from tests.web.monitoring_support import write_traffic

pytestmark = pytest.mark.django_db


def test_the_dashboard_needs_an_admin_login(client: Client) -> None:
    response = client.get("/cms/health/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_dashboard_shows_live_rates_trends_and_an_open_incident(admin_client: Client) -> None:
    now = timezone.now()
    write_traffic(now, "saas", 300, personalized_share=0.4, spread=timedelta(minutes=40))
    write_traffic(now - timedelta(days=2), "travel", 200)
    run_monitor_pass(now)
    assert Incident.objects.filter(rule__key="personalization-rate").exists()

    page = admin_client.get("/cms/health/").content.decode()
    assert 'data-testid="open-incident"' in page
    assert "Personalization rate below 70%" in page
    assert "40.0%" in page  # saas is the only live traffic: site rate 40%
    assert page.count("<svg") >= 3
    assert 'data-testid="coverage-gaps"' in page

    saas = admin_client.get("/cms/health/?industry=saas").content.decode()
    assert 'href="?industry=saas" aria-current="true"' in saas
    # An unknown industry falls back to the whole site, never an error.
    assert admin_client.get("/cms/health/?industry=<script>").status_code == 200


def test_weekly_report_is_emailed_and_kept_in_the_admin(admin_client: Client) -> None:
    now = timezone.now()
    write_traffic(now - timedelta(days=1), "saas", 200)
    run_monitor_pass(now)
    week_start = (now - timedelta(days=3)).date()
    with override_settings(
        PERSX={**settings.PERSX, "REPORT_EMAILS": ["growth@example.com"]},
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    ):
        out = StringIO()
        call_command("persx_weekly_report", "--week-start", week_start.isoformat(), stdout=out)
    assert "emailed to growth@example.com" in out.getvalue()
    [message] = mail.outbox
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    for section in ("What to do next", "Health this week", "PLI per industry", "Coverage"):
        assert section in html
    assert "Write variants where visitors still get the generic block" in html
    report = WeeklyReport.objects.get()
    assert report.sent_at is not None
    assert report.html == html

    listing = admin_client.get("/cms/health/reports/").content.decode()
    assert report.subject in listing
    detail = admin_client.get(f"/cms/health/reports/{report.pk}/")
    assert detail.status_code == 200
    assert "What to do next" in detail.content.decode()
    assert admin_client.get("/cms/health/reports/999999/").status_code == 404


def test_weekly_report_refuses_a_bad_date() -> None:
    with pytest.raises(Exception, match="--week-start"):
        call_command("persx_weekly_report", "--week-start", "last monday", "--no-email")


def test_alert_rules_are_editable_in_the_admin(admin_client: Client) -> None:
    listing = admin_client.get("/cms/alert-rules/")
    assert listing.status_code == 200
    assert "Decision error rate above 0.5%" in listing.content.decode()
    assert admin_client.get("/cms/incidents/").status_code == 200
