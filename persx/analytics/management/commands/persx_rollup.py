"""``manage.py persx_rollup [--rebuild]``: fold new events into the daily rollups, and on
the ClickHouse event store refresh its report cells (``--enqueue``: put the fold on the
task queue for a ``persx_worker`` instead)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.analytics.progress import ProgressBar
from persx.analytics.rollup_statistics import refresh_columnar_cells
from persx.analytics.services import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_PARTITIONS,
    REBUILD_PARTITIONS,
    rebuild_rollups,
    update_rollups,
)
from persx.analytics.tasks import fold_new_events
from persx.jobs.enqueue import enqueue_once


class Command(BaseCommand):
    help = (
        "Fold events stored since the last run into the rollups the reports read "
        "(--rebuild: empty the rollups and fold every event again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Rebuild the rollups from all raw events."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Events per step and transaction (default {DEFAULT_BATCH_SIZE:,}).",
        )
        parser.add_argument(
            "--partitions",
            type=int,
            default=None,
            help="PostgreSQL: connections each step runs on at once, each with a disjoint "
            f"share of the step's visitors (default {DEFAULT_PARTITIONS}, with --rebuild "
            f"{REBUILD_PARTITIONS}; 1: one connection).",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Put the fold on the task queue for a worker (manage.py persx_worker) "
            "instead of running it here (not with --rebuild).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rebuild = bool(options["rebuild"])
        batch_size = int(options["batch_size"])
        if batch_size < 1:
            self.stderr.write("--batch-size must be positive")
            raise SystemExit(2)
        default = REBUILD_PARTITIONS if rebuild else DEFAULT_PARTITIONS
        partitions = default if options["partitions"] is None else int(options["partitions"])
        if partitions < 1:
            self.stderr.write("--partitions must be positive")
            raise SystemExit(2)
        if options["enqueue"]:
            if rebuild:
                raise CommandError("--enqueue: not with --rebuild (run the rebuild here)")
            queued = enqueue_once(fold_new_events, batch_size)
            self.stdout.write(
                "a rollup update is still waiting in the queue: not queued again"
                if queued is None
                else f"rollup update queued (task {queued.id})"
            )
            return
        label = "Rebuilding rollups" if rebuild else "Updating rollups"
        bar = ProgressBar.for_command(self.stdout, label, "events")
        run = (
            rebuild_rollups(batch_size, bar.update, partitions)
            if rebuild
            else update_rollups(batch_size, bar.update, partitions=partitions)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Rebuilt' if rebuild else 'Updated'} rollups: {run.events:,} events read "
                f"in {run.seconds:.2f} s ({run.events_per_second:,.0f} events/s, "
                f"{run.partitions} connection{'s' if run.partitions > 1 else ''}); "
                f"watermark is now event #{run.last_id:,}."
            )
        )
        cells = refresh_columnar_cells()
        if cells is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Refreshed the ClickHouse report cells: {cells.visitors:,} changed "
                    f"visitors, {len(cells.experiments)} experiments, {cells.seconds:.2f} s."
                )
            )
