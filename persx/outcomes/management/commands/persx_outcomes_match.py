"""``manage.py persx_outcomes_match [--integration NAME] [--json]``: match every stored
outcome again (leads and exposures arrive after outcomes do) and print the match report."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from persx.outcomes.match_report import match_report
from persx.outcomes.services import rematch_outcomes


class Command(BaseCommand):
    help = "Match stored CRM outcomes to visitors and accounts again; print the match report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--integration", default="", help="Report one integration only.")
        parser.add_argument("--json", action="store_true", help="The report as JSON.")
        parser.add_argument(
            "--no-rematch", action="store_true", help="Report the stored matches as they are."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = 0 if options["no_rematch"] else rematch_outcomes()
        report = match_report(options["integration"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json() | {"changed": changed}, indent=2))
            return
        self.stdout.write(f"Re-matched: {changed} outcomes changed their match.")
        for line in report.lines():
            self.stdout.write(line)
