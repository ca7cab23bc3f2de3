from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from persx.demo.services import DEMO_ADMIN


class Command(BaseCommand):
    help = "Print where the demo site and its admin are, and the demo login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, **options: Any) -> None:
        base = f"http://127.0.0.1:{options['port']}"
        user, password = DEMO_ADMIN
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "  PersX demo site:   " + base + "/",
                    "  Start form:        " + base + "/start/",
                    "  Wagtail admin:     "
                    + base
                    + "/cms/   (login: "
                    + user
                    + " / "
                    + password
                    + ")",
                    "  API docs:          " + base + "/api/docs",
                    "  Reports:           " + base + "/cms/measurement/overview/",
                    "",
                    "  No data in the reports yet? Load a simulated history (about a minute):",
                    "    make simulate      (1,500 visitors over 20 days, planted +30% lift)",
                    "",
                ]
            )
        )
