"""``manage.py persx_email_send TEMPLATE_SLUG``: send an email template to every contact.

    manage.py persx_email_send welcome                  # plan and send, 100 per batch
    manage.py persx_email_send welcome --batch-size 20  # one SMTP connection per 20
    manage.py persx_email_send welcome --dry-run        # who would get it; nothing written
    manage.py persx_email_send welcome --resume 12      # carry on send 12 where it stopped

Unsubscribed, bounced and pending contacts (and, under an opt-in consent mode, those who
gave no consent) are skipped with the reason. Nothing is sent twice, also on --resume.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.email_delivery import sending
from persx.email_delivery.models import EmailSend


class Command(BaseCommand):
    help = "Send an email template to every sendable contact, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("template_slug", help="The email template's slug.")
        parser.add_argument(
            "--batch-size",
            default="100",
            help=f"Messages per SMTP connection (1-{sending.MAX_BATCH_SIZE}, default 100).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would get it; send nothing."
        )
        parser.add_argument(
            "--resume", metavar="SEND_ID", help="Carry on an earlier send of this template."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = str(options["template_slug"])
        try:
            size = sending.checked_batch_size(options["batch_size"])
            if options["dry_run"]:
                self._plan(slug)
                return
            send = self._resumed(slug, options["resume"]) if options["resume"] else None
            if send is None:
                send = sending.create_send(slug, batch_size=size)
                self.stdout.write(f"Send {send.pk}: {send.total} contacts, {send.skipped} skipped")
            elif options["batch_size"] != "100":
                EmailSend.objects.filter(pk=send.pk).update(batch_size=size)
            send = sending.run_send(send.pk)
        except (sending.UnknownTemplate, sending.BadOption) as exc:
            raise CommandError(str(exc).strip("'\"")) from None
        skips = ", ".join(f"{n} {why}" for why, n in sending.skip_counts(send).items())
        self.stdout.write(
            f"Send {send.pk} {send.get_status_display().lower()}: {send.sent} sent, "
            f"{send.skipped} skipped{f' ({skips})' if skips else ''}, {send.failed} failed "
            f"of {send.total}"
        )
        if send.message:
            self.stdout.write(send.message)
        if send.status == EmailSend.Status.STOPPED:
            raise CommandError(f"send {send.pk} stopped; carry on with --resume {send.pk}")

    def _plan(self, slug: str) -> None:
        plan = sending.plan_send(slug)
        skips = ", ".join(f"{n} {why}" for why, n in sorted(plan.skipped.items()))
        self.stdout.write(
            f"Dry run of '{plan.template}': {plan.sendable} of {plan.total} contacts would get "
            f"it{f'; skipped: {skips}' if skips else ''}. Nothing was sent."
        )

    def _resumed(self, slug: str, raw: Any) -> EmailSend:
        text = str(raw)
        if not text.isdigit():
            raise sending.BadOption(f"resume: expected a send id, got {text!r}")
        send = EmailSend.objects.select_related("template").filter(pk=int(text)).first()
        if send is None:
            raise sending.BadOption(f"resume: no send {text}")
        if send.template.slug != slug:
            raise sending.BadOption(
                f"resume: send {text} is of template '{send.template.slug}', not '{slug}'"
            )
        return send
