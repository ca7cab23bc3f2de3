"""Alert rules against real events in the database: an incident fires once, stays open
while the condition holds, resolves with hysteresis, waits for a minimum sample; the
notifications go out by email and webhook and a failing channel is retried."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings

from persx.monitoring.models import AlertRule, Incident, Notification
from persx.monitoring.services import run_monitor_pass
from tests.web.monitoring_support import webhook_receiver, write_traffic

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def hook() -> Iterator[object]:
    with (
        webhook_receiver() as receiver,
        override_settings(
            PERSX={
                **settings.PERSX,
                "ALERT_EMAILS": ["ops@example.com"],
                "ALERT_WEBHOOK_URL": receiver.url,
            },
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
    ):
        yield receiver


def open_incidents(key: str) -> list[Incident]:
    return list(Incident.objects.filter(rule__key=key, resolved_at__isnull=True))


def test_personalization_rate_incident_fires_once_holds_and_resolves_once(hook) -> None:
    write_traffic(T0, "saas", 400, personalized_share=0.5)
    first = run_monitor_pass(T0)
    assert [i.rule.key for i in first.opened] == ["personalization-rate"]
    incident = first.opened[0]
    assert set(incident.affected) == {"", "saas"}
    assert incident.values["saas"]["upper"] < 0.70
    assert "50.0%" in incident.summary

    # Same evidence five minutes later: still one incident, not a second one.
    second = run_monitor_pass(T0 + timedelta(minutes=5))
    assert second.opened == []
    assert [i.pk for i in second.updated] == [incident.pk]

    # Two hours later at 72%: not firing (upper bound above 70%) but not clear of 75%
    # either: the incident stays open (hysteresis).
    later = T0 + timedelta(hours=2)
    write_traffic(later, "saas", 400, personalized_share=0.72)
    holding = run_monitor_pass(later)
    assert holding.resolved == []
    assert holding.opened == []
    assert len(open_incidents("personalization-rate")) == 1

    # Healthy again: resolves once.
    healthy = T0 + timedelta(hours=4)
    write_traffic(healthy, "saas", 400, personalized_share=0.95)
    resolved = run_monitor_pass(healthy)
    assert [i.pk for i in resolved.resolved] == [incident.pk]
    assert run_monitor_pass(healthy + timedelta(minutes=5)).resolved == []
    assert Incident.objects.filter(rule__key="personalization-rate").count() == 1

    # One "fired" and one "resolved" message per channel.
    assert [m.subject for m in mail.outbox] == [
        "[PersX] Personalization rate below 70%",
        "[PersX] Resolved: Personalization rate below 70%",
    ]
    assert "/cms/health/" in mail.outbox[0].body
    assert [m["incident"]["kind"] for m in hook.received] == ["fired", "resolved"]
    assert hook.received[0]["text"].startswith("*[PersX] Personalization rate below 70%*")


def test_error_rate_names_the_failing_blocks_and_industry(hook) -> None:
    write_traffic(T0, "healthcare", 300, error_share=0.2)
    write_traffic(T0, "saas", 300)
    result = run_monitor_pass(T0)
    opened = {i.rule.key: i for i in result.opened}
    assert "error-rate" in opened
    incident = opened["error-rate"]
    assert "healthcare" in incident.affected
    assert "saas" not in incident.affected
    assert {b["block"] for b in incident.affected_blocks} == {"hero"}
    assert {b["industry"] for b in incident.affected_blocks} == {"healthcare"}


def test_tiny_traffic_never_pages_anyone(hook) -> None:
    # Three visitors, all unpersonalized and all failing: no evidence, no incident.
    write_traffic(T0, "saas", 3, personalized_share=0.0, error_share=1.0)
    for minutes in (0, 5, 10):
        result = run_monitor_pass(T0 + timedelta(minutes=minutes))
        assert result.opened == []
    assert Incident.objects.count() == 0
    assert mail.outbox == []
    assert hook.received == []


def test_the_for_duration_waits_before_opening(hook) -> None:
    AlertRule.objects.filter(key="personalization-rate").update(for_minutes=10)
    write_traffic(T0, "saas", 400, personalized_share=0.4, spread=timedelta(minutes=30))
    assert run_monitor_pass(T0).pending == ["personalization-rate"]
    assert open_incidents("personalization-rate") == []
    write_traffic(T0 + timedelta(minutes=10), "saas", 100, personalized_share=0.4)
    assert [i.rule.key for i in run_monitor_pass(T0 + timedelta(minutes=10)).opened] == [
        "personalization-rate"
    ]


def test_a_failing_webhook_is_retried_and_never_blocks_evaluation(hook) -> None:
    hook.fail_next = 1
    write_traffic(T0, "saas", 400, personalized_share=0.5)
    result = run_monitor_pass(T0)
    assert len(result.opened) == 1  # stored although the webhook failed
    assert result.delivery_failures == 1
    failed = Notification.objects.get(channel="webhook")
    assert failed.delivered_at is None
    assert "HTTPError" in failed.last_error
    assert len(mail.outbox) == 1  # the other channel went out

    # Not due yet a minute... then due: delivered once, not duplicated.
    retry_at = failed.next_attempt_at
    assert run_monitor_pass(retry_at - timedelta(seconds=1)).delivered == 0
    assert run_monitor_pass(retry_at).delivered == 1
    assert [m["incident"]["kind"] for m in hook.received] == ["fired"]
    failed.refresh_from_db()
    assert failed.attempts == 2
    assert failed.delivered_at == retry_at


def test_a_disabled_rule_is_not_evaluated(hook) -> None:
    AlertRule.objects.filter(key="personalization-rate").update(enabled=False)
    write_traffic(T0, "saas", 400, personalized_share=0.2)
    assert [i.rule.key for i in run_monitor_pass(T0).opened] == []
