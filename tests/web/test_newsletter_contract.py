"""The newsletter contract other apps rely on: Contact, its signed links, unsubscribe and
bounces (persx.newsletter.models, tokens, services)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import signing
from django.test import override_settings

from persx.newsletter import services, tokens
from persx.newsletter.models import Contact

pytestmark = pytest.mark.django_db


def make_contact(email: str = "ana@acme.example", **fields: object) -> Contact:
    return Contact.objects.create(email=email, **fields)


def test_only_a_subscribed_contact_is_sendable() -> None:
    contact = make_contact()
    sendable = {}
    for status in Contact.Status:
        contact.status = status
        sendable[status.value] = contact.sendable
    assert sendable == {
        "pending": False,
        "subscribed": True,
        "unsubscribed": False,
        "bounced": False,
    }


@override_settings(WAGTAILADMIN_BASE_URL="https://site.example")
def test_unsubscribe_url_names_the_contact_and_works_years_later() -> None:
    contact = make_contact()
    url = tokens.unsubscribe_url(contact)
    assert url.startswith("https://site.example/newsletter/unsubscribe/")
    assert url.endswith("/")
    token = url.removeprefix("https://site.example/newsletter/unsubscribe/").rstrip("/")
    assert tokens.contact_from_unsubscribe(token) == contact


def test_tampered_or_foreign_tokens_name_no_contact() -> None:
    contact = make_contact()
    other = make_contact("bo@acme.example")
    token = tokens.unsubscribe_token(contact)
    with pytest.raises(tokens.InvalidToken):
        tokens.contact_from_unsubscribe(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    # A confirmation token is not an unsubscribe token (own salts).
    with pytest.raises(tokens.InvalidToken):
        tokens.contact_from_unsubscribe(tokens.confirmation_token(contact))
    # A correctly signed payload for one id with another address's digest names no one.
    forged = signing.Signer(salt=tokens.UNSUBSCRIBE_SALT).sign(
        f"{other.pk}.{token.split(':')[0].split('.')[1]}"
    )
    with pytest.raises(tokens.InvalidToken):
        tokens.contact_from_unsubscribe(forged)


def test_an_erased_contact_s_token_names_no_one_even_if_its_id_is_reused() -> None:
    contact = make_contact()
    token = tokens.unsubscribe_token(contact)
    pk = contact.pk
    contact.delete()
    Contact.objects.create(pk=pk, email="someone-else@acme.example")
    with pytest.raises(tokens.InvalidToken):
        tokens.contact_from_unsubscribe(token)


def test_confirmation_token_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    contact = make_contact()
    token = tokens.confirmation_token(contact)
    assert tokens.contact_from_confirmation(token) == contact
    with override_settings(PERSX={**settings.PERSX, "NEWSLETTER_CONFIRM_DAYS": 0}):
        monkeypatch.setattr(signing.time, "time", lambda real=signing.time.time: real() + 5)
        with pytest.raises(tokens.ExpiredToken):
            tokens.contact_from_confirmation(token)
    assert tokens.confirm_max_age() == timedelta(days=7)


def test_unsubscribe_is_idempotent() -> None:
    contact = make_contact(status=Contact.Status.SUBSCRIBED)
    assert services.unsubscribe(contact, source="test") is True
    first = Contact.objects.get(pk=contact.pk)
    assert first.status == Contact.Status.UNSUBSCRIBED
    assert first.unsubscribed_at is not None
    assert services.unsubscribe(contact, source="test") is False
    assert Contact.objects.get(pk=contact.pk).unsubscribed_at == first.unsubscribed_at


def test_mark_bounced_finds_the_address_however_written_and_ignores_unknown_ones() -> None:
    make_contact(status=Contact.Status.SUBSCRIBED)
    bounced = services.mark_bounced("  ANA@Acme.Example ", reason="550")
    assert bounced is not None
    assert bounced.status == Contact.Status.BOUNCED
    assert not bounced.sendable
    assert services.mark_bounced("nobody@acme.example", reason="550") is None
