"""Incident notifications: email (Django's email backend) and a Slack-compatible webhook
(``{"text": …}`` plus an ``incident`` object), each with a link to the health dashboard.

Which channels are on: ``PERSX["ALERT_EMAILS"]`` (addresses) and
``PERSX["ALERT_WEBHOOK_URL"]``. Queuing, retrying and recording the outcome is
:func:`persx.monitoring.services.deliver_notifications`'s job.
"""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from persx.config import config
from persx.monitoring.models import Incident, NotificationKind

EMAIL = "email"
WEBHOOK = "webhook"
WEBHOOK_TIMEOUT_S = 5.0


def channels() -> list[str]:
    conf = config()
    on = ((EMAIL, conf.alert_emails), (WEBHOOK, conf.alert_webhook_url))
    return [channel for channel, value in on if value]


def dashboard_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("persx_monitoring_health")


def _scope_label(scope: str) -> str:
    return scope or "all industries"


def message(incident: Incident, kind: str) -> tuple[str, str]:
    """Subject and plain-text body of a notification."""
    rule = incident.rule
    scopes = ", ".join(_scope_label(s) for s in incident.affected) or "the site"
    if kind == NotificationKind.RESOLVED:
        subject = f"[PersX] Resolved: {rule.name}"
        lead = (
            f"Resolved at {incident.resolved_at:%Y-%m-%d %H:%M} UTC "
            f"(opened {incident.started_at:%Y-%m-%d %H:%M} UTC)."
        )
    else:
        subject = f"[PersX] {rule.name}"
        lead = f"Opened at {incident.started_at:%Y-%m-%d %H:%M} UTC."
    lines = [incident.summary, lead, f"Affected: {scopes}."]
    if incident.affected_blocks:
        blocks = ", ".join(
            f"{b['block']} ({_scope_label(b['industry'])}, {b['decisions']} decisions)"
            for b in incident.affected_blocks[:5]
        )
        lines.append(f"Blocks: {blocks}.")
    lines.append(f"Dashboard: {dashboard_url()}")
    return subject, "\n".join(lines)


def _send_email(incident: Incident, kind: str) -> None:
    subject, body = message(incident, kind)
    send_mail(subject, body, None, list(config().alert_emails), fail_silently=False)


def _send_webhook(incident: Incident, kind: str) -> None:
    subject, body = message(incident, kind)
    payload = {
        "text": f"*{subject}*\n{body}",
        "incident": {
            "id": incident.pk,
            "rule": incident.rule.key,
            "kind": kind,
            "affected": incident.affected,
            "dashboard": dashboard_url(),
        },
    }
    request = urllib.request.Request(
        config().alert_webhook_url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")


SENDERS = {EMAIL: _send_email, WEBHOOK: _send_webhook}


def send(channel: str, incident: Incident, kind: str) -> None:
    """Send one notification; raises on failure (the caller records and retries)."""
    SENDERS[channel](incident, kind)
