"""``manage.py persx_factorial_report KEY``: a factorial experiment's report in the terminal."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.analytics.services import refresh_stale_rollups
from persx.config import config
from persx.factorial.models import FactorialExperiment
from persx.factorial.report import build_report
from persx.factorial.report_export import report_json, report_text


class Command(BaseCommand):
    help = (
        "Print a factorial experiment's report (the report page's numbers and sentences): "
        "which block matters, whether they interact, what to ship."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("experiment", help="The factorial experiment's key.")
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["experiment"])
        row = FactorialExperiment.objects.filter(key=key).first()
        if row is None:
            known = ", ".join(FactorialExperiment.objects.values_list("key", flat=True))
            raise CommandError(f"no factorial experiment '{key}'; known: {known or 'none yet'}")
        # Stale rollups are brought up to date as the report page does (ROLLUP_REFRESH_SECONDS).
        refresh_stale_rollups(config().rollup_refresh_seconds)
        report = build_report(row)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report_json(report), indent=2))
        else:
            self.stdout.write(report_text(report), ending="")
