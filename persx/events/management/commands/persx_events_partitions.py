"""``manage.py persx_events_partitions``: monthly event partitions ahead, retention behind."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from persx.config import config
from persx.events.partitions import maintain


class Command(BaseCommand):
    help = (
        "PostgreSQL: create the events table's monthly partitions for the current month and "
        "--ahead more, move rows out of the default partition into their month, and drop "
        "months past the retention (PERSX['EVENTS_RETENTION_MONTHS']). Nothing on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead", type=int, default=3, help="Months after the current one (default 3)."
        )
        parser.add_argument(
            "--retention-months",
            default=None,
            help="Whole months kept before the current one (default: the setting; "
            "'none' keeps every month).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would change.")

    def handle(self, *args: Any, **options: Any) -> None:
        ahead = int(options["ahead"])
        if ahead < 0:
            raise CommandError("--ahead must be 0 or more")
        raw = options["retention_months"]
        if raw is None:
            retention = config().events_retention_months
        elif str(raw).lower() == "none":
            retention = None
        elif not str(raw).isdigit() or int(raw) < 1:
            raise CommandError(
                f"--retention-months must be a whole number ≥ 1 or 'none', not {raw!r}"
            )
        else:
            retention = int(raw)
        done = maintain(
            timezone.now(), ahead=ahead, retention_months=retention, dry_run=options["dry_run"]
        )
        prefix = "would: " if options["dry_run"] else ""
        for line in done.lines():
            self.stdout.write(prefix + line)
