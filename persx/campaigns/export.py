"""The merge-field export: one CSV row per sendable contact of an email template.

Each row is the template rendered for that contact (:func:`persx.campaigns.rendering.
email_parts`: the same decisions as the email PersX sends) in the columns of
:mod:`persx.campaigns.merge_fields`. Rows are written as they are rendered (contacts read
in chunks), so a large list needs no more memory than a small one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from defusedcsv import csv

from persx.campaigns import merge_fields
from persx.campaigns.models import EmailTemplate
from persx.campaigns.rendering import (
    LinkFunction,
    Recipient,
    email_parts,
    recipient_for_contact,
    untracked,
)
from persx.newsletter.models import Contact
from persx.newsletter.tokens import unsubscribe_url

CHUNK = 500
Progress = Callable[[int, int], None]  # (contacts written, contacts in all)
STATUSES = tuple(Contact.Status.values)


class ExportError(ValueError):
    """A refused export, naming what was wrong (``field``: the argument)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def template_named(slug: str) -> EmailTemplate:
    template = EmailTemplate.objects.filter(slug=slug).first()
    if template is None:
        known = ", ".join(EmailTemplate.objects.values_list("slug", flat=True)) or "none"
        raise ExportError("template", f"no email template with slug '{slug}' (known: {known})")
    return template


class TextSink(Protocol):
    def write(self, text: str, /) -> object: ...


def export_rows(
    template: EmailTemplate,
    *,
    status: str = Contact.Status.SUBSCRIBED,
    link: LinkFunction = untracked,
    progress: Progress | None = None,
) -> tuple[list[str], Iterator[dict[str, str]]]:
    """The export's columns and its rows (rendered one by one as they are read).
    Subscribed contacts by default: the only ones mail may go to. ``ExportError`` for an
    unknown status, before anything is read."""
    if status not in STATUSES:
        raise ExportError("status", f"status must be one of {', '.join(STATUSES)}; got '{status}'")
    columns = merge_fields.header(email_parts(template, Recipient("", "", "", "", "")))
    return columns, _rows(template, status, link, progress)


def export_csv(
    template: EmailTemplate,
    out: TextSink,
    *,
    status: str = Contact.Status.SUBSCRIBED,
    link: LinkFunction = untracked,
    progress: Progress | None = None,
) -> int:
    """Write the template's merge fields for every contact with ``status``; the number of
    rows written."""
    columns, rows = export_rows(template, status=status, link=link, progress=progress)
    writer = csv.DictWriter(out, fieldnames=columns, restval="")
    writer.writeheader()
    written = 0
    for values in rows:
        writer.writerow(values)
        written += 1
    return written


def _rows(
    template: EmailTemplate, status: str, link: LinkFunction, progress: Progress | None
) -> Iterator[dict[str, str]]:
    contacts = Contact.objects.filter(status=status).select_related("account").order_by("pk")
    total = contacts.count()
    if progress is not None:
        progress(0, total)
    for done, contact in enumerate(contacts.iterator(chunk_size=CHUNK), start=1):
        recipient = recipient_for_contact(contact)
        parts = email_parts(
            template, recipient, link=link, unsubscribe_url=unsubscribe_url(contact)
        )
        yield merge_fields.row(
            parts,
            {"EMAIL": contact.email, "INDUSTRY": recipient.industry, "PERSONA": recipient.persona},
        )
        if progress is not None:
            progress(done, total)
