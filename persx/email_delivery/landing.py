"""What a click on a tracked email link does on the site (``GET /e/<token>/``).

The contact's profile is restored on this browser without any form: the profile cookie
the site renders from is set to the contact's visitor (their stored profile record, or a
profile made from the industry and persona they had at signup; a contact without a visitor
id gets one, kept on the contact so their next click is the same visitor). Then one
``email_click`` event is recorded under the same consent rule as every event (the request's
consent, the site's mode), and the browser is sent on to the link's target.

What is restored, and when:

- consent: under an opt-in consent mode a contact who did not grant analytics consent at
  signup lands without any cookie being set (the page is generic until they choose);
- an **unsubscribed** contact still lands on the target, but nothing is restored and no
  click is counted: they asked to hear no more from the email channel, so their old emails
  stop identifying them;
- an erased visitor id (a "forget me" request) is never brought back;
- a contact with no known industry lands as the browser already is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from persx.campaigns.rendering import recipient_for_contact, recipient_profile
from persx.catalog.repository import current_catalog
from persx.email_delivery.contact_visitor import visitor_id_for
from persx.email_delivery.links import LinkClaim
from persx.email_delivery.models import EmailMessage
from persx.engine.visitor.profile import ConsentState, VisitorProfile
from persx.events.event_types import EventType
from persx.events.services import record_visitor_event
from persx.newsletter.models import Contact
from persx.privacy.consent import ConsentMode
from persx.privacy.middleware import consent_of
from persx.privacy.mode import consent_mode
from persx.privacy.tombstones import erased_among
from persx.profiles.mappers import record_to_profile
from persx.profiles.models import VisitorProfileRecord
from persx.visitors.state import visitor


@dataclass(frozen=True, slots=True)
class Landing:
    target: str
    restored: bool  # the profile cookie is set to the contact's visitor
    counted: bool  # an email_click event was stored
    why: str = ""  # why nothing was restored ('' when it was)


def contact_profile(contact: Contact, consent: ConsentState) -> VisitorProfile | None:
    """The profile the contact's browser should carry (None: nothing to restore)."""
    catalog = current_catalog()
    if contact.visitor_id:
        record = VisitorProfileRecord.objects.filter(visitor_id=contact.visitor_id).first()
        if record is not None and catalog.industry(record.industry or None) is not None:
            return record_to_profile(record).with_changes(consent=consent)
    if catalog.industry(contact.industry or None) is None:
        return None  # nothing to restore, and no visitor id minted for it
    # Otherwise the profile of the industry and persona the contact had at signup: the same
    # rule (catalog checks, persona within the industry) as the email rendered for them.
    recipient = replace(
        recipient_for_contact(contact), visitor_id=visitor_id_for(contact), consent=consent.value
    )
    return recipient_profile(recipient)


def _may_restore(contact: Contact) -> str:
    """'' when the contact's profile may be restored, else why not."""
    if contact.status == Contact.Status.UNSUBSCRIBED:
        return "unsubscribed"
    if consent_mode() is ConsentMode.OPT_IN and contact.consent != ConsentState.GRANTED:
        return "no_consent"
    if contact.visitor_id and erased_among([contact.visitor_id]):
        return "erased"
    return ""


def land(request: HttpRequest, claim: LinkClaim) -> Landing:
    """Restore the contact's profile on this request's response and count the click."""
    message = EmailMessage.objects.select_related("contact").filter(pk=claim.message_id).first()
    if message is None:
        return Landing(claim.target, restored=False, counted=False, why="unknown_message")
    contact = message.contact
    why = _may_restore(contact)
    if why == "unsubscribed":
        return Landing(claim.target, restored=False, counted=False, why=why)
    consent = consent_of(request).state
    state = visitor(request)
    profile = None if why else contact_profile(contact, consent)
    if profile is not None:
        state.remember(profile, layer="explicit")
    elif not why:
        why = "no_industry"
    with transaction.atomic():
        event_id = record_visitor_event(
            EventType.EMAIL_CLICK,
            profile or state.profile,
            claim.target,
            timezone.now(),
            properties={"message": message.pk, "send": message.send_id, "block": claim.block_key},
            consent=consent,
        )
    return Landing(
        claim.target, restored=profile is not None, counted=event_id is not None, why=why
    )
