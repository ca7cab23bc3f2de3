"""Sending a template to every contact in batches, through Django's email backend.

A send is planned once (:func:`create_send`): one ``EmailMessage`` row per contact, those
who may not be mailed already ``skipped`` with the reason (unsubscribed, bounced, pending,
no consent under an opt-in consent mode). :func:`run_send` then works through the queued
rows a batch at a time:

1. **claim**: in one transaction the next ``batch_size`` queued rows become ``sending``
   (``select_for_update(skip_locked=True)`` on PostgreSQL, so two workers never take the
   same rows; SQLite serialises writers);
2. **deliver**: one SMTP connection per batch; per message the contact is checked again
   (an unsubscribe since the plan is honoured), the template rendered for the contact
   (``persx.campaigns.rendering``) with tracked links, and the message handed to the backend;
   the row becomes ``sent``, ``failed`` (with the reason) or ``skipped``.

Nothing is sent twice: a row leaves ``queued`` only through a claim, and a row found still
``sending`` when a send resumes (its batch's process died mid-batch) is marked ``failed``
("interrupted"), never retried blindly: whether the SMTP server took it is unknown. A refused
recipient (SMTP 5xx on RCPT) marks the contact bounced (``persx.newsletter``). When the
connection itself fails, the rest of the batch goes back to ``queued`` (never attempted) and
the send stops; ``--resume`` (or the admin's Resume) carries on.
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from persx.campaigns.models import EmailTemplate
from persx.campaigns.rendering import recipient_for_contact, render_for_recipient
from persx.email_delivery.contact_visitor import visitor_id_for
from persx.email_delivery.delivery_settings import base_url, unsubscribe_mailto
from persx.email_delivery.links import OffSiteTarget, tracked_url
from persx.email_delivery.models import EmailMessage, EmailSend
from persx.engine.visitor.profile import ConsentState
from persx.newsletter import services as newsletter_services
from persx.newsletter.models import Contact
from persx.newsletter.tokens import unsubscribe_url
from persx.privacy.consent import ConsentMode
from persx.privacy.mode import consent_mode

MAX_BATCH_SIZE = 1000
INTERRUPTED = "interrupted mid-batch: the SMTP server may or may not have taken it; not retried"


class UnknownTemplate(LookupError):
    """No email template has this slug."""


class BadOption(ValueError):
    """An option out of range; the message starts with the option's name."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Who a send would mail (``--dry-run``): nothing is written."""

    template: str
    total: int
    sendable: int
    skipped: dict[str, int] = field(default_factory=dict)


def checked_batch_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise BadOption(f"batch-size: expected a whole number, got {value!r}") from None
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise BadOption(f"batch-size: expected 1-{MAX_BATCH_SIZE}, got {size}")
    return size


def template_by_slug(slug: str) -> EmailTemplate:
    template = EmailTemplate.objects.filter(slug=slug).first()
    if template is None:
        known = ", ".join(EmailTemplate.objects.order_by("slug").values_list("slug", flat=True))
        raise UnknownTemplate(
            f"template: no email template '{slug}'" + (f" (known: {known})" if known else "")
        )
    return template


def skip_reason(contact: Contact) -> str:
    """Why this contact gets no email ('' = send): status first, then consent."""
    if contact.status != Contact.Status.SUBSCRIBED:
        return str(contact.status)
    if consent_mode() is ConsentMode.OPT_IN and contact.consent != ConsentState.GRANTED:
        return "no_consent"
    return ""


def plan_send(template_slug: str) -> Plan:
    template = template_by_slug(template_slug)
    skipped: dict[str, int] = {}
    total = 0
    for contact in Contact.objects.order_by("pk").iterator():
        total += 1
        reason = skip_reason(contact)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
    return Plan(template.slug, total, total - sum(skipped.values()), skipped)


def create_send(template_slug: str, *, batch_size: Any = 100, user: Any = None) -> EmailSend:
    """Plan a send: one message row per contact, the unmailable ones skipped with why."""
    size = checked_batch_size(batch_size)
    template = template_by_slug(template_slug)
    with transaction.atomic():
        send = EmailSend.objects.create(
            template=template,
            batch_size=size,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        rows = []
        for contact in Contact.objects.order_by("pk").iterator():
            reason = skip_reason(contact)
            status = EmailMessage.Status.SKIPPED if reason else EmailMessage.Status.QUEUED
            rows.append(EmailMessage(send=send, contact=contact, status=status, reason=reason))
        EmailMessage.objects.bulk_create(rows, batch_size=500)
        refresh_counts(send)
    return send


def refresh_counts(send: EmailSend) -> EmailSend:
    counts = dict(
        EmailMessage.objects.filter(send=send)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    send.total = sum(counts.values())
    send.sent = counts.get(EmailMessage.Status.SENT, 0)
    send.skipped = counts.get(EmailMessage.Status.SKIPPED, 0)
    send.failed = counts.get(EmailMessage.Status.FAILED, 0)
    EmailSend.objects.filter(pk=send.pk).update(
        total=send.total, sent=send.sent, skipped=send.skipped, failed=send.failed
    )
    return send


def skip_counts(send: EmailSend) -> dict[str, int]:
    """Skipped messages per reason."""
    rows = (
        EmailMessage.objects.filter(send=send, status=EmailMessage.Status.SKIPPED)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    return dict(sorted(rows))


def _claim(send: EmailSend, size: int) -> list[EmailMessage]:
    with transaction.atomic():
        queued = EmailMessage.objects.filter(send=send, status=EmailMessage.Status.QUEUED)
        if db_connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        candidates = list(queued.order_by("pk").values_list("pk", flat=True)[:size])
        # Row by row, each only while still queued: a row another worker claimed between
        # the read and this write (SQLite has no row locks) is not taken twice.
        ids = [
            pk
            for pk in candidates
            if EmailMessage.objects.filter(pk=pk, status=EmailMessage.Status.QUEUED).update(
                status=EmailMessage.Status.SENDING
            )
        ]
    return list(EmailMessage.objects.filter(pk__in=ids).select_related("contact").order_by("pk"))


def _mark(message: EmailMessage, status: str, reason: str = "", **fields: Any) -> None:
    message.status = status
    message.reason = reason[:300]
    for name, value in fields.items():
        setattr(message, name, value)
    EmailMessage.objects.filter(pk=message.pk).update(
        status=status, reason=message.reason, **fields
    )


def _link_for(message_id: int) -> Any:
    def link(url: str, block_key: str) -> str:
        scheme = urlsplit(url).scheme.lower()
        if scheme and scheme not in ("http", "https"):
            return url  # mailto:, tel: … are not web links
        try:
            return tracked_url(message_id, url, block_key)
        except OffSiteTarget:
            return url  # another site's link stays as it is: never a redirect through us

    return link


def list_unsubscribe(contact: Contact) -> str:
    entries = [f"<{unsubscribe_url(contact)}>"]
    mailto = unsubscribe_mailto()
    if mailto:
        entries.append(f"<mailto:{mailto}?subject=unsubscribe>")
    return ", ".join(entries)


def build_email(send: EmailSend, message: EmailMessage, connection: Any) -> EmailMultiAlternatives:
    """Render the template for the message's contact; the message ready for the backend."""
    contact = message.contact
    visitor_id_for(contact)  # decided for the visitor a click will restore (same arm)
    rendered = render_for_recipient(
        send.template,
        recipient_for_contact(contact),
        link=_link_for(message.pk),
        unsubscribe_url=unsubscribe_url(contact),
    )
    message_id = make_msgid(domain=urlsplit(base_url()).hostname or "localhost")
    email = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
        connection=connection,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": list_unsubscribe(contact),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(rendered.html, "text/html")
    choices = [asdict(choice) for choice in rendered.choices]
    message.choices = choices
    message.personalized = any(c.get("personalized") for c in choices)
    message.subject = rendered.subject[:300]
    message.message_id = message_id[:200]
    return email


def _release(messages: Sequence[EmailMessage]) -> None:
    """Put claimed messages that were never attempted back on the queue."""
    EmailMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=EmailMessage.Status.SENDING
    ).update(status=EmailMessage.Status.QUEUED)


def _stop(send: EmailSend, why: str) -> None:
    send.status = EmailSend.Status.STOPPED
    send.message = why[:300]
    EmailSend.objects.filter(pk=send.pk).update(status=send.status, message=send.message)


def deliver_batch(send: EmailSend, batch: Sequence[EmailMessage]) -> bool:
    """Send one claimed batch over one connection; False when the connection failed (the
    send stops; unattempted messages are queued again)."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        _release(batch)
        _stop(send, f"SMTP connection failed: {exc}")
        return False
    try:
        for index, message in enumerate(batch):
            current = Contact.objects.filter(pk=message.contact_id).first()
            reason = skip_reason(current) if current is not None else "erased"
            if reason:
                _mark(message, EmailMessage.Status.SKIPPED, reason)
                continue
            try:
                email = build_email(send, message, connection)
            except Exception as exc:  # a template that cannot render: this message only
                _mark(message, EmailMessage.Status.FAILED, f"rendering: {exc}")
                continue
            rendered = {
                "choices": message.choices,
                "personalized": message.personalized,
                "subject": message.subject,
                "message_id": message.message_id,
            }
            try:
                email.send()
            except smtplib.SMTPRecipientsRefused as exc:
                refusal = _refusal(exc, message.contact.email)
                newsletter_services.mark_bounced(message.contact.email, reason=refusal)
                _mark(message, EmailMessage.Status.FAILED, f"refused: {refusal}", **rendered)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                _mark(message, EmailMessage.Status.FAILED, f"{INTERRUPTED} ({exc})", **rendered)
                _release(batch[index + 1 :])
                _stop(send, f"SMTP connection lost: {exc}")
                return False
            except smtplib.SMTPException as exc:
                _mark(message, EmailMessage.Status.FAILED, f"SMTP: {exc}", **rendered)
            else:
                _mark(message, EmailMessage.Status.SENT, sent_at=timezone.now(), **rendered)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return True


def _refusal(exc: smtplib.SMTPRecipientsRefused, email: str) -> str:
    for address, (code, text) in exc.recipients.items():
        if address.lower() == email.lower():
            detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
            return f"{code} {detail}"
    return str(exc)


def fail_interrupted(send: EmailSend) -> int:
    """Messages a dead batch left ``sending``: failed, never retried (may have gone out)."""
    return EmailMessage.objects.filter(send=send, status=EmailMessage.Status.SENDING).update(
        status=EmailMessage.Status.FAILED, reason=INTERRUPTED
    )


def run_send(send_id: int, *, max_batches: int | None = None) -> EmailSend:
    """Work through a send's queued messages (from where it stopped); returns the send."""
    send = EmailSend.objects.select_related("template").get(pk=send_id)
    fail_interrupted(send)
    send.status = EmailSend.Status.RUNNING
    send.started_at = send.started_at or timezone.now()
    send.message = ""
    EmailSend.objects.filter(pk=send.pk).update(
        status=send.status, started_at=send.started_at, message=""
    )
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = _claim(send, send.batch_size)
        if not batch:
            send.status = EmailSend.Status.FINISHED
            send.finished_at = timezone.now()
            EmailSend.objects.filter(pk=send.pk).update(
                status=send.status, finished_at=send.finished_at
            )
            break
        batches += 1
        delivered = deliver_batch(send, batch)
        refresh_counts(send)
        if not delivered:
            break
    else:
        _stop(send, f"stopped after {batches} batches as asked")
    return refresh_counts(send)
