"""``manage.py persx_email_export TEMPLATE_SLUG [--output FILE] [--status subscribed]``:
the template's merge fields, one CSV row per contact (docs/email.md)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from persx.campaigns.export import STATUSES, ExportError, export_csv, template_named


class Command(BaseCommand):
    help = "Write an email template's merge fields as CSV, one row per contact."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("template", metavar="TEMPLATE_SLUG")
        parser.add_argument("--output", "-o", default="-", help="CSV file ('-': standard output)")
        parser.add_argument(
            "--status",
            default="subscribed",
            choices=STATUSES,
            help="Export the contacts with this status (default: subscribed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            template = template_named(options["template"])
        except ExportError as error:
            raise CommandError(str(error)) from None
        output: str = options["output"]
        progress = Progress(lambda text: self.stderr.write(text, ending=""))
        if output == "-":
            written = self._export(
                template, CommandOutput(self.stdout), options["status"], progress
            )
        else:
            path = Path(output)
            try:
                with path.open("w", encoding="utf-8", newline="") as out:
                    written = self._export(template, out, options["status"], progress)
            except OSError as error:
                raise CommandError(f"--output: cannot write {path}: {error.strerror}") from None
        where = "standard output" if output == "-" else output
        self.stderr.write(f"Exported {written} contact(s) of '{template.slug}' to {where}.")

    def _export(self, template: Any, out: Any, status: str, progress: Progress) -> int:
        try:
            return export_csv(template, out, status=status, progress=progress)
        except ExportError as error:
            raise CommandError(str(error)) from None


class CommandOutput:
    """A command's standard output as the file the CSV writer writes to."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)


class Progress:
    """A line at every tenth of the way (and at the end), on standard error: how many
    contacts, how fast, and the time left."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write
        self.started = time.perf_counter()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        tenth = 10 if total == 0 else done * 10 // total
        if tenth == self.last_tenth:
            return
        self.last_tenth = tenth
        elapsed = time.perf_counter() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", ~{(total - done) / rate:,.0f} s left" if rate and done < total else ""
        self.write(f"{done}/{total} contacts ({rate:,.0f}/s{left})\n")
