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
                    "  No data in the reports yet? In another terminal, load a simulated history:",
                    "    make simulate      400 synthetic visitors over 14 days through the real",
                    "                       site, planted +30% lift; a progress bar shows the time",
                    "                       left (about 30 s on an idle 2-core machine, a few",
                    "                       minutes on a busy one). It stops the pli-contact",
                    "                       experiment again and marks its data:",
                    "                       manage.py simulate_traffic --clear removes it.",
                    "  Reports update their numbers on opening (when over 30 s old).",
                    "",
                ]
            )
        )
