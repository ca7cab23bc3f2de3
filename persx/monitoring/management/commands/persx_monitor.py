"""One monitor pass: refresh the hourly health counts, evaluate the alert rules, notify.

Run it every minute (docs/monitoring.md has the cron and systemd-timer lines).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from persx.monitoring.services import run_monitor_pass


class Command(BaseCommand):
    help = "Evaluate the personalization health alert rules once and send notifications."

    def handle(self, *args: Any, **options: Any) -> None:
        result = run_monitor_pass(timezone.now())
        for incident in result.opened:
            self.stdout.write(f"OPENED   {incident.rule.key}: {incident.summary}")
        for incident in result.resolved:
            self.stdout.write(f"RESOLVED {incident.rule.key}")
        for incident in result.updated:
            self.stdout.write(
                f"OPEN     {incident.rule.key} (since {incident.started_at:%Y-%m-%d %H:%M})"
            )
        for key in result.pending:
            self.stdout.write(f"PENDING  {key} (condition holds, waiting for its 'for' duration)")
        self.stdout.write(
            f"pass done in {result.seconds:.3f}s: {len(result.opened)} opened, "
            f"{len(result.resolved)} resolved, {len(result.updated)} still open; "
            f"notifications {result.delivered} sent, {result.delivery_failures} failed"
        )
