"""What the newsletter holds about a visitor, for the export and the erasure (persx.privacy).

Erasure deletes the contact (not anonymised: the address is the contact, and an address
kept without its person would still be personal data); the subject can sign up again.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from persx.newsletter.models import Contact, contacts_of, normalized_email
from persx.privacy.holders import DataSubject


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class ContactsHeld:
    name = "newsletter"
    models: tuple[type[models.Model], ...] = (Contact,)

    def visitor_ids_for_email(self, email: str) -> set[str]:
        if not email:
            return set()
        ids = Contact.objects.filter(email=normalized_email(email)).values_list(
            "visitor_id", flat=True
        )
        return {v for v in ids if v}

    def export(self, subject: DataSubject, request: HttpRequest | None) -> list[dict[str, Any]]:
        if subject.is_empty:
            return []
        return [
            {
                "email": contact.email,
                "status": contact.status,
                "visitor_id": contact.visitor_id,
                "industry": contact.industry,
                "persona": contact.persona,
                "company_domain": contact.account.domain if contact.account else "",
                "consent_at_signup": contact.consent,
                "page": contact.page,
                "variant": contact.variant,
                "created_at": _iso(contact.created_at),
                "confirmation_sent_at": _iso(contact.confirmation_sent_at),
                "confirmed_at": _iso(contact.confirmed_at),
                "unsubscribed_at": _iso(contact.unsubscribed_at),
                "bounced_at": _iso(contact.bounced_at),
            }
            for contact in contacts_of(subject.visitor_ids, subject.email)
            .select_related("account")
            .order_by("created_at")
        ]

    def erase(self, subject: DataSubject) -> int:
        # Imported here: every process's start imports this module (apps.py), the erasure is rare.
        from persx.newsletter.services import erase_contacts

        return erase_contacts(subject.visitor_ids, subject.email)
