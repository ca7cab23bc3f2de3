"""Writes of the privacy app: erasures (with their tombstones) and the request log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from persx.privacy import holders
from persx.privacy.holders import DataSubject
from persx.privacy.models import DataRequest, DataRequestChannel, DataRequestKind, ErasedVisitor
from persx.privacy.tombstones import event_write_guard, tombstone_key

logger = logging.getLogger("persx.privacy")

SUBJECT_SALT = "persx.privacy.request-log.v1"


def subject_key(subject: DataSubject) -> str:
    """A short keyed hash of the subject, for the log: repeats match, nothing reverses."""
    text = "|".join(sorted(subject.visitor_ids)) + "|" + subject.email.lower()
    return salted_hmac(SUBJECT_SALT, text, algorithm="sha256").hexdigest()[:16]


def _log(
    kind: DataRequestKind,
    channel: DataRequestChannel,
    subject: DataSubject,
    counts: dict[str, int],
    requested_by: str,
    at: datetime,
) -> None:
    key = subject_key(subject)
    DataRequest.objects.create(
        kind=kind,
        channel=channel,
        subject_key=key,
        counts=counts,
        requested_by=requested_by[:150],
        at=at,
    )
    logger.info(
        "data request",
        extra={"kind": str(kind), "channel": str(channel), "subject": key, "counts": counts},
    )


def erase(
    subject: DataSubject, channel: DataRequestChannel, requested_by: str = ""
) -> dict[str, int]:
    """Erase everything every holder keeps about ``subject``, in one transaction: tombstone
    each visitor id (so late events are dropped), then each holder deletes. Records erased
    per holder."""
    now = timezone.now()
    with transaction.atomic():
        event_write_guard(exclusive=True)
        for visitor_id in sorted(subject.visitor_ids):
            ErasedVisitor.objects.get_or_create(
                key=tombstone_key(visitor_id), defaults={"erased_at": now}
            )
        counts = {holder.name: holder.erase(subject) for holder in holders.registered()}
        _log(DataRequestKind.ERASE, channel, subject, counts, requested_by, now)
    return counts


def export(
    subject: DataSubject,
    request: HttpRequest | None,
    channel: DataRequestChannel,
    requested_by: str = "",
) -> dict[str, Any]:
    """Everything every holder keeps about ``subject`` as one JSON-ready document; the
    request is logged (counts only)."""
    now = timezone.now()
    sections = {holder.name: holder.export(subject, request) for holder in holders.registered()}
    counts = {
        name: len(value) if isinstance(value, list) else int(bool(value))
        for name, value in sections.items()
    }
    _log(DataRequestKind.EXPORT, channel, subject, counts, requested_by, now)
    return {
        "exported_at": now.isoformat(),
        "visitor_ids": sorted(subject.visitor_ids),
        **sections,
    }


def subject_for_email(email: str) -> DataSubject:
    """The subject of a request by email: the address, and every visitor id any holder
    links to it (leads sent with it, accounts with it)."""
    address = email.strip()
    ids: set[str] = set()
    for holder in holders.registered():
        ids |= holder.visitor_ids_for_email(address)
    return DataSubject(holders.ids_of(ids), address)
