from typing import Any

from django.core.management.base import BaseCommand

from persx.demo.services import seed_demo


class Command(BaseCommand):
    help = "Load the demo catalog, pages, posts, test ideas and admin login (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_demo()
        if report.created:
            self.stdout.write(f"Demo content: created {len(report.created)} items.")
        for what in report.updated:
            self.stdout.write(f"Demo content: updated {what}.")
        if not report.created and not report.updated:
            self.stdout.write("Demo content already loaded; nothing changed.")
