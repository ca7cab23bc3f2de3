"""``manage.py persx_import_outcomes FILE.csv [--integration NAME] [--mapping ...]
[--currency EUR] [--dry-run]``: import a CRM export of outcomes, all or nothing
(docs/outcomes.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.outcomes.csv_import import import_csv
from persx.outcomes.csv_mapping import MAPPINGS
from persx.outcomes.match_report import match_report
from persx.outcomes.vocabulary import CURRENCIES

MAX_LISTED_PROBLEMS = 50


class Command(BaseCommand):
    help = "Import CRM outcomes (qualified lead, opportunity, won, lost) from a CSV export."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The CSV file (UTF-8, a header row).")
        parser.add_argument(
            "--integration",
            default="",
            help="The integration the outcome ids belong to (created if new); "
            "default: the mapping's name.",
        )
        parser.add_argument("--mapping", choices=sorted(MAPPINGS), default="persx")
        parser.add_argument(
            "--currency", default=None, help="ISO 4217 code for amounts without a currency column."
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; store nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        currency = (options["currency"] or "").upper() or None
        if currency and currency not in CURRENCIES:
            raise CommandError(f"--currency: {options['currency']!r} is not an ISO 4217 code")
        integration = options["integration"] or options["mapping"]
        result = import_csv(
            text,
            integration,
            options["mapping"],
            dry_run=options["dry_run"],
            default_currency=currency,
        )
        if result.problems:
            listed = result.problems[:MAX_LISTED_PROBLEMS]
            more = len(result.problems) - len(listed)
            lines = [f"{path}: {len(result.problems)} problems; nothing was stored.", *listed]
            if more:
                lines.append(f"... and {more} more")
            raise CommandError("\n".join(lines))
        verb = "would store" if options["dry_run"] else "stored"
        self.stdout.write(
            f"{path}: {result.rows} rows; {verb} {result.created} new outcomes "
            f"({result.matched} matched), {result.unchanged} unchanged "
            f"(integration {integration}, mapping {options['mapping']})."
        )
        self.stdout.write(f"Match report (integration {integration}):")
        for line in match_report(integration).lines():
            self.stdout.write(line)
