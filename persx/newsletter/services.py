"""Writes to newsletter contacts: unsubscribing and bounces (signup and confirmation in
``persx.newsletter.subscription``)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from persx.newsletter.models import Contact, normalized_email

logger = logging.getLogger(__name__)


def unsubscribe(contact: Contact, *, source: str) -> bool:
    """Stop all newsletter mail to ``contact``; True when this call changed it (idempotent).

    ``source`` says where the request came from (``link``, ``one_click``, ``admin``, ...)
    and goes to the log. A bounced address stays bounced (it is not sendable either way).
    """
    with transaction.atomic():
        current = Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if current is None or current.status in (
            Contact.Status.UNSUBSCRIBED,
            Contact.Status.BOUNCED,
        ):
            return False
        current.status = Contact.Status.UNSUBSCRIBED
        current.unsubscribed_at = timezone.now()
        current.save(update_fields=["status", "unsubscribed_at"])
    contact.status, contact.unsubscribed_at = current.status, current.unsubscribed_at
    logger.info("newsletter unsubscribe", extra={"contact": contact.pk, "source": source})
    return True


def mark_bounced(email: str, *, reason: str) -> Contact | None:
    """Mark the contact with this address bounced; None for an unknown address.

    Idempotent: an address already bounced keeps its first ``bounced_at``.
    """
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(email=normalized_email(email)).first()
        if contact is None:
            return None
        if contact.status != Contact.Status.BOUNCED:
            contact.status = Contact.Status.BOUNCED
            contact.bounced_at = timezone.now()
            contact.save(update_fields=["status", "bounced_at"])
            logger.info("newsletter bounce", extra={"contact": contact.pk, "reason": reason})
    return contact
