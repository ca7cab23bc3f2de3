"""``manage.py persx_attribution_window KEY [DAYS]``: show or set how many days after a
visitor's first exposure to experiment KEY a CRM outcome still counts for it
(docs/outcomes.md, "Pipeline metrics")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.outcomes.services import attribution_days, set_attribution_days


class Command(BaseCommand):
    help = (
        "Show the attribution window of an experiment's pipeline metrics, or set it: an "
        "outcome counts when it happens within DAYS of the visitor's first exposure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="The experiment key (e.g. pli-contact).")
        parser.add_argument("days", nargs="?", type=int, help="The new window in days.")

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["key"]).strip()
        if not key:
            raise CommandError("key: give the experiment key")
        if options["days"] is not None:
            try:
                set_attribution_days(key, int(options["days"]))
            except ValidationError as exc:
                messages = "; ".join(
                    f"{field}: {', '.join(errors)}" for field, errors in exc.message_dict.items()
                )
                raise CommandError(messages) from exc
        self.stdout.write(
            f"{key}: outcomes count within {attribution_days(key)} days of a visitor's first "
            "exposure (visitors whose window is still open are reported as maturing)."
        )
