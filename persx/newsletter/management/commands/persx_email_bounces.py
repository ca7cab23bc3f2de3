"""manage.py persx_email_bounces FILE: mark the listed addresses bounced (docs/newsletter.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.newsletter.bounce_file import BounceFileError, read_bounce_file
from persx.newsletter.services import mark_all_bounced


class Command(BaseCommand):
    help = (
        "Mark newsletter contacts bounced: FILE lists one address per line, or is a CSV "
        "file with an 'email' column. Unknown addresses are listed, not an error; a bad "
        "file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the bounce list (text or CSV)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            addresses = read_bounce_file(path)
        except BounceFileError as error:
            raise CommandError(f"{error}; nothing was changed") from error
        report = mark_all_bounced(addresses, reason=f"bounce file {path.name}")
        self.stdout.write(
            f"{len(addresses)} address(es) in {path.name}: {len(report.marked)} marked "
            f"bounced, {len(report.already)} already bounced, {len(report.unknown)} unknown."
        )
        for address in report.unknown:
            self.stdout.write(f"  unknown: {address}")
