"""The site visitor id a newsletter contact is known by in the email channel.

A contact who signed up on the site carries that visitor's id. One who has none (imported,
or a visitor id the profile cookie cannot hold) gets a new random one the first time the
email channel needs it (a send renders for them, or a click lands), kept on the contact.
So the email is decided for the same unit the site then restores on a click: the contact
sees the same experiment arm in the email and on the web.
"""

from __future__ import annotations

from persx.newsletter.models import Contact
from persx.profiles.services import new_visitor_id

VISITOR_ID_CHARS = (8, 32)  # what the profile cookie accepts


def visitor_id_for(contact: Contact) -> str:
    """The contact's visitor id, minted and stored when it has no usable one."""
    low, high = VISITOR_ID_CHARS
    if low <= len(contact.visitor_id) <= high:
        return contact.visitor_id
    fresh = new_visitor_id()
    # Only if unchanged since read: a concurrent writer that set one first wins, and both
    # then use the stored one.
    Contact.objects.filter(pk=contact.pk, visitor_id=contact.visitor_id).update(visitor_id=fresh)
    stored = Contact.objects.values_list("visitor_id", flat=True).get(pk=contact.pk)
    contact.visitor_id = str(stored)
    return contact.visitor_id
