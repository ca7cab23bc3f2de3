"""Signed tokens in newsletter links: confirmation (expiring) and unsubscribe (never expiring).

A token signs the contact's id and a short digest of its address, so a token issued to an
address that was erased (and whose id a later row reuses) names no one. Each kind has its
own salt: a confirmation token is no unsubscribe token and vice versa.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core import signing

from persx.config import config
from persx.newsletter.models import Contact

CONFIRM_SALT = "persx.newsletter.confirm"
UNSUBSCRIBE_SALT = "persx.newsletter.unsubscribe"


class InvalidToken(Exception):
    """The token was tampered with, is malformed, or names no contact."""


class ExpiredToken(InvalidToken):
    """The token was signed correctly but is older than its kind allows."""


def confirm_max_age() -> timedelta:
    """How long a confirmation link works: ``NEWSLETTER_CONFIRM_DAYS``
    (``PERSX_NEWSLETTER_CONFIRM_DAYS``, default 7)."""
    return timedelta(days=config().newsletter_confirm_days)


def _site_origin() -> str:
    """The site's origin in emailed links: ``EMAIL_BASE_URL``, else ``WAGTAILADMIN_BASE_URL``."""
    return str(config().email_base_url or settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def _address_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:12]


def _payload(contact: Contact) -> str:
    return f"{contact.pk}.{_address_digest(contact.email)}"


def _contact_of(payload: str) -> Contact:
    pk, _, digest = payload.partition(".")
    if not pk.isdigit() or not digest:
        raise InvalidToken("malformed token")
    contact = Contact.objects.filter(pk=int(pk)).first()
    if contact is None or _address_digest(contact.email) != digest:
        raise InvalidToken("the token names no contact")
    return contact


def confirmation_token(contact: Contact) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(_payload(contact))


def confirmation_path(contact: Contact) -> str:
    return f"/newsletter/confirm/{confirmation_token(contact)}/"


def confirmation_url(contact: Contact) -> str:
    return _site_origin() + confirmation_path(contact)


def contact_from_confirmation(token: str) -> Contact:
    """The contact a confirmation token names; ``ExpiredToken`` / ``InvalidToken`` else."""
    try:
        payload = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(
            token, max_age=confirm_max_age()
        )
    except signing.SignatureExpired as error:
        raise ExpiredToken(str(error)) from error
    except signing.BadSignature as error:
        raise InvalidToken(str(error)) from error
    return _contact_of(payload)


def unsubscribe_token(contact: Contact) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(_payload(contact))


def unsubscribe_path(contact: Contact) -> str:
    """``/newsletter/unsubscribe/<signed token>/``: works for as long as the contact exists."""
    return f"/newsletter/unsubscribe/{unsubscribe_token(contact)}/"


def unsubscribe_url(contact: Contact) -> str:
    return _site_origin() + unsubscribe_path(contact)


def contact_from_unsubscribe(token: str) -> Contact:
    """The contact an unsubscribe token names; ``InvalidToken`` when tampered or unknown."""
    try:
        payload = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise InvalidToken(str(error)) from error
    return _contact_of(payload)
