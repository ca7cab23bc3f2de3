"""The quarterly persona review from start-form answers, as Markdown or CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.personas.export import to_csv, to_markdown
from persx.personas.review import build_review, parse_since


class Command(BaseCommand):
    help = "Persona review: answers vs persona definitions, shares, falling matches, candidates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="90d", help="window, e.g. 90d (default)")
        parser.add_argument("--format", choices=("markdown", "csv"), default="markdown")
        parser.add_argument("--output", help="write to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            days = parse_since(options["since"])
        except ValueError as error:
            raise CommandError(f"--since: {error}") from error
        review = build_review(days)
        text = to_csv(review) if options["format"] == "csv" else to_markdown(review)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"written to {options['output']}")
        else:
            self.stdout.write(text, ending="")
