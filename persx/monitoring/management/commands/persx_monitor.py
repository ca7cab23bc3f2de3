"""One monitor pass: refresh the hourly health counts, evaluate the alert rules, notify.

Run it every minute (docs/monitoring.md has the cron and systemd-timer lines).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from persx.monitoring.services import run_monitor_pass


class Command(BaseCommand):
    help = "Evaluate the personalization health alert rules once and send notifications."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--backfill-days",
            type=int,
            default=1,
            help="Recount this many days of hourly health history (default 1; e.g. 14 once "
            "after installing, for the dashboard's trends).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["backfill_days"]
        if not 1 <= days <= 90:
            raise CommandError("--backfill-days: between 1 and 90")
        result = run_monitor_pass(timezone.now(), timedelta(days=days))
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
