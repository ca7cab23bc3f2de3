"""Tracked email links (persx/email_delivery/links.py) and the click landing
(``GET /e/<token>/``, persx/email_delivery/landing.py), through the real HTTP client: a
valid link restores the contact's profile with no form (the first page already shows their
industry's variant), counts one ``email_click`` event and redirects to the target; expired,
tampered and garbage tokens never 500; off-site targets are refused when a link is made and
when it is clicked."""

from __future__ import annotations

import secrets
import time
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from persx.campaigns.models import EmailTemplate
from persx.catalog.repository import current_catalog
from persx.config import config
from persx.email_delivery import links
from persx.email_delivery.links import (
    MAX_TARGET_CHARS,
    MAX_TOKEN_CHARS,
    OffSiteTarget,
    link_token,
    tracked_url,
)
from persx.email_delivery.models import EmailMessage, EmailSend
from persx.events.models import Event
from persx.newsletter.models import Contact
from persx.profiles import cookie
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import variants

SITE = "http://127.0.0.1:8000"


def message_for(**fields: Any) -> EmailMessage:
    defaults = {"status": "subscribed", "consent": "granted", "industry": "healthcare"}
    defaults.update(fields)
    address = f"{secrets.token_hex(4)}@reader.example"
    contact = Contact.objects.create(email=address, **defaults)
    send = EmailSend.objects.create(template=EmailTemplate.objects.get(slug="welcome"))
    return EmailMessage.objects.create(send=send, contact=contact, status="sent")


def path_of(url: str) -> str:
    assert url.startswith(SITE + "/e/"), url
    return url[len(SITE) :]


def clicks() -> list[Event]:
    return list(Event.objects.filter(type="email_click").order_by("pk"))


def profile_in(client: Client) -> Any:
    raw = client.cookies.get(config().profile_cookie_name)
    return cookie.decode(raw.value if raw else None, current_catalog()).profile


@pytest.mark.django_db
def test_a_click_restores_the_profile_and_the_first_page_shows_the_industry_variant() -> None:
    message = message_for(visitor_id="", persona="")
    browser = Client()
    generic = variants(browser.get("/contact/").content)
    url = tracked_url(message.pk, f"{SITE}/contact/?utm_source=email", "hero")
    response = browser.get(path_of(url), follow=True)

    assert response.redirect_chain == [("/contact/?utm_source=email", 302)]
    assert response.status_code == 200
    shown = variants(response.content)
    assert any(v == "industry:healthcare" for _, v in shown), shown
    assert shown != generic
    profile = profile_in(browser)
    message.contact.refresh_from_db()
    # A contact with no visitor id got one, kept on the contact: the next click is the same.
    assert profile.industry == "healthcare"
    assert profile.visitor_id == message.contact.visitor_id
    (event,) = clicks()
    assert event.visitor_id == profile.visitor_id
    assert event.page == "/contact/?utm_source=email"
    assert event.properties == {"message": message.pk, "send": message.send_id, "block": "hero"}

    again = Client()
    again.get(path_of(url))
    assert profile_in(again).visitor_id == profile.visitor_id
    assert len(clicks()) == 2  # one event per click


@pytest.mark.django_db
def test_a_contact_with_a_stored_profile_gets_that_profile_back() -> None:
    visitor_id = secrets.token_hex(16)
    now = timezone.now()
    VisitorProfileRecord.objects.create(
        visitor_id=visitor_id, industry="saas", goals=["g"], set_at=now, updated_at=now
    )
    message = message_for(visitor_id=visitor_id, industry="healthcare")
    browser = Client()
    browser.get(path_of(tracked_url(message.pk, "/", "")))
    restored = profile_in(browser)
    assert (restored.visitor_id, restored.industry) == (visitor_id, "saas")


@pytest.mark.django_db
def test_an_expired_link_lands_as_a_generic_visitor_with_a_notice(settings: Any) -> None:
    settings.PERSX = {**settings.PERSX, "EMAIL_LINK_MAX_AGE_DAYS": 60}
    message = message_for()
    made = time.time() - 61 * 86400
    with mock.patch("django.core.signing.time.time", return_value=made):
        token = link_token(message.pk, "/contact/", "hero")
    browser = Client()
    response = browser.get(f"/e/{token}/")
    assert response.status_code == 200
    assert b'data-testid="email-link-expired"' in response.content
    assert b'href="/contact/"' in response.content
    assert config().profile_cookie_name not in response.cookies
    assert clicks() == []
    # One day younger than the limit still works.
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 59 * 86400):
        fresh = link_token(message.pk, "/contact/", "hero")
    assert browser.get(f"/e/{fresh}/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a" * 40,
        "%00",
        "eyJ9:1:2",
        "x" * (MAX_TOKEN_CHARS + 1),
    ],
)
def test_garbage_tokens_get_a_clear_400_page(token: str) -> None:
    response = Client().get(f"/e/{token}/")
    assert response.status_code == 400
    assert b'data-testid="email-link-bad"' in response.content
    assert clicks() == []


@pytest.mark.django_db
def test_a_tampered_token_is_refused() -> None:
    message = message_for()
    token = link_token(message.pk, "/contact/", "hero")
    other = message_for()
    # Swap the payload of another genuine token onto this signature, and flip one character.
    forged = link_token(other.pk, "/", "").split(":")[0] + ":" + token.split(":", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (forged, flipped):
        response = Client().get(f"/e/{bad}/")
        assert response.status_code == 400, bad
    assert clicks() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "javascript:alert(1)",
        "http://127.0.0.1:8001/other-port",
        "https://127.0.0.1:8000/other-scheme",
        "contact/",
        "/line\nbreak",
        "",
    ],
)
def test_off_site_targets_are_refused_when_the_link_is_made(target: str) -> None:
    with pytest.raises(OffSiteTarget):
        link_token(1, target, "hero")


@pytest.mark.django_db
def test_an_off_site_target_signed_with_our_key_is_still_refused_at_the_click() -> None:
    message = message_for()
    forged = signing.dumps([message.pk, "//evil.example/", "hero"], salt=links.SALT)
    response = Client().get(f"/e/{forged}/")
    assert response.status_code == 400
    assert "Location" not in response
    assert clicks() == []


@pytest.mark.django_db
def test_the_longest_legitimate_target_works() -> None:
    message = message_for()
    target = "/contact/?q=" + secrets.token_urlsafe(MAX_TARGET_CHARS)[: MAX_TARGET_CHARS - 12]
    assert len(target) == MAX_TARGET_CHARS
    token = link_token(message.pk, target, "k" * 80)
    assert len(token) <= MAX_TOKEN_CHARS
    response = Client().get(f"/e/{token}/")
    assert response.status_code == 302
    assert response["Location"] == target
    with pytest.raises(OffSiteTarget):
        link_token(message.pk, target + "x", "hero")


@pytest.mark.django_db
def test_an_unsubscribed_contact_lands_but_nothing_is_restored_or_counted() -> None:
    message = message_for(status="unsubscribed")
    browser = Client()
    response = browser.get(path_of(tracked_url(message.pk, "/contact/", "hero")))
    assert response.status_code == 302
    assert response["Location"] == "/contact/"
    assert config().profile_cookie_name not in response.cookies
    assert clicks() == []


@pytest.mark.django_db
def test_opt_in_mode_without_the_contacts_consent_sets_no_cookie(settings: Any) -> None:
    settings.PERSX = {**settings.PERSX, "CONSENT_MODE": "opt_in"}
    message = message_for(consent="unknown")
    response = Client().get(path_of(tracked_url(message.pk, "/contact/", "hero")))
    assert response.status_code == 302
    assert config().profile_cookie_name not in response.cookies
    assert clicks() == []  # the browser gave no consent either: nothing measured
    consenting = message_for(consent="granted")
    browser = Client()
    browser.cookies["persx_consent"] = ""
    response = browser.get(path_of(tracked_url(consenting.pk, "/contact/", "hero")))
    assert config().profile_cookie_name in response.cookies


@pytest.mark.django_db
def test_only_get_and_head_are_answered_and_a_head_restores_nothing() -> None:
    message = message_for()
    url = path_of(tracked_url(message.pk, "/contact/", "hero"))
    assert Client().post(url).status_code == 405
    checked = Client().head(url)  # a mail provider's link checker
    assert checked.status_code == 302
    assert checked["Location"] == "/contact/"
    assert config().profile_cookie_name not in checked.cookies
    assert clicks() == []
