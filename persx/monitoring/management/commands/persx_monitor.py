"""One monitor pass: refresh the hourly health counts, evaluate the alert rules, notify.

Run it every minute (docs/monitoring.md has the cron and systemd-timer lines), or let it
repeat itself with ``--every SECONDS`` (``--passes N`` stops after N passes). With
``--enqueue`` each pass is put on the task queue instead, for a ``persx_worker`` to run
(what `make run` does for the demo: ``--every 60 --enqueue`` beside the worker).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from persx.jobs.enqueue import enqueue_once
from persx.monitoring.services import run_monitor_pass
from persx.monitoring.tasks import monitor_pass


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
        parser.add_argument(
            "--every",
            type=float,
            default=0.0,
            help="Repeat a pass every this many seconds (0, the default: one pass).",
        )
        parser.add_argument(
            "--passes",
            type=int,
            default=0,
            help="With --every: stop after this many passes (0: until stopped).",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put each pass on the task queue for a worker (manage.py persx_worker) "
            "instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["backfill_days"]
        every, passes = options["every"], options["passes"]
        if not 1 <= days <= 90:
            raise CommandError("--backfill-days: between 1 and 90")
        if every < 0 or (every and every < 1):
            raise CommandError("--every: 0 (one pass) or at least 1 second")
        if passes < 0:
            raise CommandError("--passes: 0 or more")
        run = self._enqueue if options["enqueue"] else self._pass
        run(timedelta(days=days))
        done = 1
        while every and (passes == 0 or done < passes):
            time.sleep(every)
            try:
                run(timedelta(hours=2))  # later passes only refresh the recent hours
            except Exception as exc:  # a long-running loop reports and carries on
                self.stderr.write(f"monitor pass failed: {type(exc).__name__}: {exc}")
            done += 1

    def _enqueue(self, backfill: timedelta) -> None:
        queued = enqueue_once(monitor_pass, int(backfill.total_seconds() // 3600))
        if queued is None:
            self.stdout.write("a monitor pass is still waiting in the queue: not queued again")
        else:
            self.stdout.write(f"monitor pass queued (task {queued.id})")
        self.stdout.flush()

    def _pass(self, backfill: timedelta) -> None:
        result = run_monitor_pass(timezone.now(), backfill)
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
