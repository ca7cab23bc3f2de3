"""Build the weekly personalization report, keep a copy in the admin and email it.

Schedule it weekly (docs/monitoring.md), e.g. Monday 07:00 for the week that just ended.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.html import strip_tags

from persx.config import config
from persx.monitoring.services import mark_weekly_report_sent, store_weekly_report
from persx.monitoring.weekly_report import build_weekly_report, render_html


class Command(BaseCommand):
    help = "Email the weekly personalization report and keep a copy in the admin."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--week-start",
            help="First day of the week (YYYY-MM-DD); default: Monday of last week.",
        )
        parser.add_argument("--no-email", action="store_true", help="Store it only.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["week_start"]:
            try:
                week_start = date.fromisoformat(options["week_start"])
            except ValueError as exc:
                raise CommandError(f"--week-start: not a date: {options['week_start']}") from exc
        else:
            today = now.date()
            week_start = today - timedelta(days=today.weekday() + 7)
        content = build_weekly_report(week_start)
        html = render_html(content)
        conf = config()
        recipients = list(conf.report_emails or conf.alert_emails)
        report = store_weekly_report(week_start, now, content.subject, html, recipients)
        self.stdout.write(f"stored: {content.subject} (admin: Health → Weekly reports)")
        if options["no_email"] or not recipients:
            self.stdout.write("not emailed (no recipients)" if not recipients else "not emailed")
            return
        message = EmailMultiAlternatives(content.subject, strip_tags(html), None, recipients)
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except Exception as exc:  # the stored copy stays; the failure is recorded
            mark_weekly_report_sent(report, now, f"{type(exc).__name__}: {exc}")
            raise CommandError(f"email failed: {exc}") from exc
        mark_weekly_report_sent(report, now)
        self.stdout.write(f"emailed to {', '.join(recipients)}")
