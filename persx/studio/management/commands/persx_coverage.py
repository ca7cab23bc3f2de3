"""``manage.py persx_coverage``: the coverage matrix (registry/checklist) in the terminal.

``--csv`` prints CSV instead; ``--industry saas`` limits the columns; ``--fail-under 60%``
exits with status 1 when fewer cells than that serve a variant (for CI).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.catalog.repository import current_catalog
from persx.studio.coverage import build_matrix
from persx.studio.coverage_export import matrix_csv, matrix_text


def percentage(raw: str) -> float:
    text = raw.strip().removesuffix("%")
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"--fail-under: expected a percentage like 60%, got {raw!r}") from None
    if not 0 <= value <= 100:
        raise CommandError(f"--fail-under: must be between 0% and 100%, got {raw!r}")
    return value / 100


class Command(BaseCommand):
    help = "Print which blocks have variants for which audiences (the coverage matrix)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--industry", help="Only this industry and its personas (slug).")
        parser.add_argument("--csv", action="store_true", help="Print CSV instead of a table.")
        parser.add_argument(
            "--fail-under", metavar="N%", help="Exit 1 when coverage is below N percent."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        industry = options.get("industry")
        if industry and current_catalog().industry(industry) is None:
            raise CommandError(f"--industry: unknown industry {industry!r}")
        threshold = percentage(options["fail_under"]) if options.get("fail_under") else None
        matrix = build_matrix(industry=industry)
        self.stdout.write(matrix_csv(matrix) if options["csv"] else matrix_text(matrix))
        if threshold is not None and matrix.coverage < threshold:
            raise CommandError(
                f"coverage {matrix.coverage:.1%} is under --fail-under {threshold:.0%}"
            )
        if threshold is not None and not options["csv"]:
            self.stdout.write(f"OK: at or above {threshold:.0%}")
