"""Recompute every running bandit's allocation from the rollups and store a new version.

Run it on a schedule (cron / systemd timer, e.g. every 15 minutes), or let it repeat itself
with ``--every SECONDS``. With ``--enqueue`` each pass is put on the task queue instead,
for a ``persx_worker`` to run (what `make run` does for the demo: ``--every 600 --enqueue``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from persx.analytics.bandit_services import BanditUpdate, BanditUpdateFailed, update_running_bandits
from persx.analytics.tasks import update_bandits
from persx.jobs.enqueue import enqueue_once


class Command(BaseCommand):
    help = "Update the allocation of every running bandit from the rollups (new version each)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--every",
            type=float,
            default=0.0,
            help="Repeat every this many seconds (0, the default: one pass).",
        )
        parser.add_argument(
            "--passes", type=int, default=0, help="With --every: stop after this many passes."
        )
        parser.add_argument(
            "--no-rollup",
            action="store_true",
            help="Do not fold new events into the rollups first.",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put each pass on the task queue for a worker (manage.py persx_worker) "
            "instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every, passes = options["every"], options["passes"]
        if every < 0 or (every and every < 1):
            raise CommandError("--every: 0 (one pass) or at least 1 second")
        if passes < 0:
            raise CommandError("--passes: 0 or more")
        refresh = not options["no_rollup"]
        run = self._enqueue if options["enqueue"] else self._pass
        if not every:
            run(refresh, fail=True)
            return
        done = 0
        while passes == 0 or done < passes:
            if done:
                time.sleep(every)
            run(refresh, fail=False)
            done += 1

    def _enqueue(self, refresh: bool, fail: bool) -> None:
        queued = enqueue_once(update_bandits, refresh)
        if queued is None:
            self.stdout.write("a bandit update is still waiting in the queue: not queued again")
        else:
            self.stdout.write(f"bandit update queued (task {queued.id})")
        self.stdout.flush()

    def _pass(self, refresh: bool, fail: bool) -> None:
        try:
            updates = update_running_bandits(refresh_rollups=refresh)
        except BanditUpdateFailed as exc:
            self._print(exc.done)
            message = f"bandit update failed for {exc}"
            if fail:
                raise CommandError(message) from exc
            self.stderr.write(message)
            return
        self._print(updates)
        if not updates:
            self.stdout.write("no running bandit")

    def _print(self, updates: list[BanditUpdate]) -> None:
        for update in updates:
            shares = ", ".join(f"{arm} {share:.1%}" for arm, share in update.weights.items())
            line = f"{update.key}: version {update.version} — {shares}; {update.note}"
            if update.proposals:
                line += f"; proposed for retirement: {', '.join(update.proposals)}"
            self.stdout.write(line)
