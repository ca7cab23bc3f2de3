"""``manage.py persx_rollup [--rebuild]``: fold new events into the daily rollups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from persx.analytics.progress import ProgressBar
from persx.analytics.services import DEFAULT_BATCH_SIZE, rebuild_rollups, update_rollups


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

    def handle(self, *args: Any, **options: Any) -> None:
        rebuild = bool(options["rebuild"])
        batch_size = int(options["batch_size"])
        if batch_size < 1:
            self.stderr.write("--batch-size must be positive")
            raise SystemExit(2)
        label = "Rebuilding rollups" if rebuild else "Updating rollups"
        bar = ProgressBar.for_command(self.stdout, label, "events")
        run = (
            rebuild_rollups(batch_size, bar.update)
            if rebuild
            else update_rollups(batch_size, bar.update)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Rebuilt' if rebuild else 'Updated'} rollups: {run.events:,} events read "
                f"in {run.seconds:.2f} s ({run.events_per_second:,.0f} events/s); "
                f"watermark is now event #{run.last_id:,}."
            )
        )
