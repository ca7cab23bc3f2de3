"""Writes to newsletter contacts: signup (double opt-in), confirmation, unsubscribing,
bounces and erasure. Views and commands only call these."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from persx.accounts.models import Account
from persx.accounts.services import account_for_email, link_work_email
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.event_types import EventType
from persx.events.services import may_store_for, record_visitor_event
from persx.http.row_security import visitor_rows
from persx.newsletter.confirmation_mail import send_confirmation
from persx.newsletter.limits import resend_after
from persx.newsletter.models import Contact, contacts_of, normalized_email
from persx.privacy.tombstones import erased_among, event_write_guard

logger = logging.getLogger(__name__)


class SignupOutcome(StrEnum):
    """What a signup did (the page's notice and the JSON ``outcome``)."""

    CONFIRMATION_SENT = "sent"
    CONFIRMATION_RECENTLY_SENT = "recent"  # pending, mailed less than RESEND_AFTER ago
    ALREADY_SUBSCRIBED = "subscribed"
    BOUNCED = "bounced"  # refused: mail to the address bounced


@dataclass(frozen=True, slots=True)
class Signup:
    email: str
    page: str = ""
    variant: str = ""


def sign_up(
    signup: Signup,
    profile: VisitorProfile | None,
    consent: ConsentState | None,
    now: datetime | None = None,
) -> tuple[SignupOutcome, Contact]:
    """Create or renew a PENDING contact and send its confirmation email; all or nothing.

    The contact copies the visitor's profile (visitor id, industry, persona) and consent
    state. A subscribed address is left as it is (nothing sent); a bounced one is refused;
    an unsubscribed one starts double opt-in again. A pending one gets a new email unless
    one went out less than ``resend_after()`` ago. A visitor id that was erased is not the
    visitor's any more: the contact is stored without it (as ``persx.leads`` does).

    The email is sent inside the transaction: when the backend fails, nothing is written
    and the error propagates (the view answers 503).
    """
    now = now or timezone.now()
    email = normalized_email(signup.email)
    with transaction.atomic():
        event_write_guard(exclusive=False)
        if profile is not None and erased_among([profile.visitor_id]):
            profile = None
        contact = _locked_contact(email)
        if contact.status == Contact.Status.BOUNCED:
            return SignupOutcome.BOUNCED, contact
        if contact.status == Contact.Status.SUBSCRIBED:
            return SignupOutcome.ALREADY_SUBSCRIBED, contact
        sent = contact.confirmation_sent_at
        if contact.status == Contact.Status.PENDING and sent and now - sent < resend_after():
            return SignupOutcome.CONFIRMATION_RECENTLY_SENT, contact
        contact.status = Contact.Status.PENDING
        contact.visitor_id = profile.visitor_id if profile else ""
        contact.industry = (profile.industry or "") if profile else ""
        contact.persona = (profile.persona or "") if profile else ""
        contact.consent = str(consent or (profile.consent if profile else ConsentState.UNKNOWN))
        contact.page = signup.page.split("?", 1)[0][:200]
        contact.variant = signup.variant[:80]
        contact.account = _account(contact, profile, consent)
        contact.confirmation_sent_at = now
        contact.save()
        send_confirmation(contact)
    logger.info("newsletter signup", extra={"contact": contact.pk})
    return SignupOutcome.CONFIRMATION_SENT, contact


def _locked_contact(email: str) -> Contact:
    """The address's contact, locked; a new unsaved-status PENDING row when it is new."""
    contact = Contact.objects.select_for_update().filter(email=email).first()
    if contact is not None:
        return contact
    try:
        with transaction.atomic():
            return Contact.objects.create(email=email)
    except IntegrityError:  # created by a concurrent signup of the same address
        return Contact.objects.select_for_update().get(email=email)


def _account(
    contact: Contact, profile: VisitorProfile | None, consent: ConsentState | None
) -> Account | None:
    """The company of a work address: the visitor is linked to it (``persx.accounts``) when
    their consent allows measurement, as the contact form does; the contact names an
    existing account either way. Free-mail and disposable domains name none."""
    if profile is not None and may_store_for(profile, consent):
        with visitor_rows(profile.visitor_id):
            link = link_work_email(
                profile.visitor_id,
                contact.email,
                source_detail=f"newsletter contact {contact.pk}",
                industry=contact.industry,
            )
        if link is not None:
            return link.account
    return account_for_email(contact.email)


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already"
    UNSUBSCRIBED = "unsubscribed"  # unsubscribed after the link was sent: sign up again
    BOUNCED = "bounced"


def confirm(
    contact: Contact,
    request_profile: VisitorProfile | None,
    request_consent: ConsentState | None,
    now: datetime | None = None,
) -> ConfirmOutcome:
    """A confirmation link was followed: PENDING → SUBSCRIBED and one ``email_signup`` event
    for the visitor who signed up. Once only: a second click changes and records nothing.

    The event is the signup visitor's (their id, industry and persona at signup, on the page
    where they signed up). Its consent is the confirming request's when that request is the
    same visitor (their latest choice), else the consent they had at signup; either way the
    site's consent mode and tombstones decide as for every other event
    (``persx.events.services.record_visitor_event``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        event_write_guard(exclusive=False)
        current = Contact.objects.select_for_update().get(pk=contact.pk)
        if current.status == Contact.Status.SUBSCRIBED:
            return ConfirmOutcome.ALREADY_CONFIRMED
        if current.status == Contact.Status.UNSUBSCRIBED:
            return ConfirmOutcome.UNSUBSCRIBED
        if current.status == Contact.Status.BOUNCED:
            return ConfirmOutcome.BOUNCED
        current.status = Contact.Status.SUBSCRIBED
        current.confirmed_at = now
        current.save(update_fields=["status", "confirmed_at"])
        profile = _signup_profile(current)
        same_visitor = (
            request_profile is not None
            and bool(current.visitor_id)
            and request_profile.visitor_id == current.visitor_id
        )
        consent = request_consent if same_visitor else _stored_consent(current)
        with visitor_rows(current.visitor_id):
            record_visitor_event(
                EventType.EMAIL_SIGNUP,
                profile,
                current.page or "/",
                now,
                properties={
                    "form": "newsletter",
                    "contact": current.pk,
                    "variant": current.variant,
                },
                consent=consent,
            )
    contact.status, contact.confirmed_at = current.status, current.confirmed_at
    logger.info("newsletter confirmed", extra={"contact": contact.pk})
    return ConfirmOutcome.CONFIRMED


def _stored_consent(contact: Contact) -> ConsentState:
    try:
        return ConsentState(contact.consent)
    except ValueError:
        return ConsentState.UNKNOWN


def _signup_profile(contact: Contact) -> VisitorProfile | None:
    if not contact.visitor_id:
        return None
    return VisitorProfile(
        contact.visitor_id,
        industry=contact.industry or None,
        persona=contact.persona or None,
        consent=_stored_consent(contact),
    )


def unsubscribe(contact: Contact, *, source: str) -> bool:
    """Stop all newsletter mail to ``contact``; True when this call changed it (idempotent).

    ``source`` says where the request came from (``link``, ``one_click``, ``admin``, ...)
    and goes to the log. A bounced address stays bounced (it is not sendable either way);
    a pending one becomes unsubscribed (its confirmation link no longer subscribes it).
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


def erase_contacts(visitor_ids: frozenset[str], email: str) -> int:
    """Delete the contacts of these visitors and, for a request by email, the contact with
    that address (inside the erasure). Deleted, not anonymised: an address is the contact."""
    return contacts_of(visitor_ids, email).delete()[0]


@dataclass(frozen=True, slots=True)
class BounceReport:
    marked: list[str]  # now bounced
    already: list[str]  # bounced before
    unknown: list[str]  # no contact has the address


def mark_all_bounced(addresses: list[str], *, reason: str) -> BounceReport:
    """:func:`mark_bounced` for every address, in one transaction (all or nothing)."""
    marked, already, unknown = [], [], []
    with transaction.atomic():
        before = set(
            Contact.objects.filter(email__in=addresses, status=Contact.Status.BOUNCED).values_list(
                "email", flat=True
            )
        )
        for address in addresses:
            if address in before:
                already.append(address)
            elif mark_bounced(address, reason=reason) is None:
                unknown.append(address)
            else:
                marked.append(address)
    return BounceReport(marked, already, unknown)
