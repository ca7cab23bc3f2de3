"""Newsletter signup with double opt-in (issue 19), on the seeded demo site: the signup
block's variants, POST /newsletter/signup/, the confirmation email and link, the
``email_signup`` event, and what bad input and abuse get."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from persx.accounts.models import Account, VisitorAccountLink
from persx.engine.visitor.profile import ConsentState
from persx.events.models import Event
from persx.http import rate_limit
from persx.newsletter import tokens
from persx.newsletter.models import Contact
from tests.web.conftest import SITE_DATA, client_with_profile, variants
from tests.web.consent_support import with_consent

pytestmark = pytest.mark.django_db

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/newsletter/confirm/[^/\s]+/)")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOME_SIGNUP = next(b for b in SITE_DATA["home"]["body"] if b["type"] == "newsletter_signup")
# The shipped allowance of signups per client address a minute (the settings a user gets).
ALLOWANCE = settings.PERSX["NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE"]


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Every test client is 127.0.0.1: the per-address counters start at zero."""
    cache.clear()
    yield
    cache.clear()


def variant_content(block: dict[str, Any], audience: str) -> dict[str, Any]:
    if audience == "generic":
        return dict(block["base"])
    return next(v["content"] for v in block["variants"] if v["audience"] == audience)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def sign_up_from(client: Client, path: str, email: str, **extra: str) -> Any:
    """Post the signup form as the page renders it (its CSRF token, variant and next)."""
    page = client.get(path).content.decode()
    form = page[page.index('data-testid="newsletter-signup"') :]
    variant = re.search(r'name="variant" value="([^"]*)"', form)
    nxt = re.search(r'name="next" value="([^"]*)"', form)
    assert variant
    assert nxt
    data = {
        "csrfmiddlewaretoken": csrf_of(form),
        "email": email,
        "variant": variant.group(1),
        "next": nxt.group(1),
        **extra,
    }
    return client.post("/newsletter/signup/", data)


def confirmation_path(message: mail.EmailMessage) -> str:
    found = CONFIRM_LINK.search(message.body)
    assert found, message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert found.group(1) in unescape(str(html))  # the HTML part carries the same link
    return found.group(1)


def signup_events(visitor_id: str = "") -> Any:
    events = Event.objects.filter(type="email_signup")
    return events.filter(visitor_id=visitor_id) if visitor_id else events


def test_a_visitor_states_an_industry_sees_its_variant_signs_up_and_confirms_once(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get("/?industry=saas")  # the visitor states their industry
    visitor_id = client.get("/api/personalization").json()["visitor_id"]
    home = client.get("/").content.decode()
    saas = variant_content(HOME_SIGNUP, "industry:saas")
    assert ("newsletter-signup", "industry:saas") in variants(home)
    assert saas["heading"] in unescape(home)
    assert saas["button_label"] in unescape(home)

    response = sign_up_from(client, "/", " Dana@Example-Corp.COM ")
    assert response.status_code == 302
    assert response["Location"] == "/?newsletter=sent#newsletter"
    notice = client.get(response["Location"]).content.decode()
    assert 'data-outcome="sent"' in notice

    contact = Contact.objects.get()
    assert contact.email == "dana@example-corp.com"
    assert (contact.status, contact.visitor_id, contact.industry) == (
        "pending",
        visitor_id,
        "saas",
    )
    assert (contact.page, contact.variant, contact.consent) == ("/", "industry:saas", "unknown")
    assert not signup_events().exists()  # nothing counts before the address is confirmed
    assert [m.to for m in mailoutbox] == [["dana@example-corp.com"]]
    link = confirmation_path(mailoutbox[0])

    # The link is followed from the mail client: another browser, no cookies.
    page = Client().get(link)
    assert page.status_code == 200
    assert b'data-state="confirmed"' in page.content
    contact.refresh_from_db()
    assert contact.status == "subscribed"
    assert contact.sendable
    assert contact.confirmed_at is not None
    event = signup_events().get()
    assert (event.visitor_id, event.industry, event.page) == (visitor_id, "saas", "/")
    assert event.properties["variant"] == "industry:saas"

    again = client.get(link)
    assert again.status_code == 200
    assert b'data-state="already"' in again.content
    assert signup_events().count() == 1
    assert Contact.objects.get().confirmed_at == contact.confirmed_at
    assert len(mailoutbox) == 1


def test_the_blog_shows_its_signup_variant_after_each_post() -> None:
    blog_signup = SITE_DATA["blog"]["signup"]
    post = next(p for p in SITE_DATA["blog"]["posts"] if p.get("cta"))
    path = f"/blog/{post['slug']}/"
    for industry, audience in (("healthcare", "industry:healthcare"), ("travel", "generic")):
        html = client_with_profile(industry).get(path).content.decode()
        assert ("newsletter-signup", audience) in variants(html)
        assert variant_content(blog_signup, audience)["heading"] in unescape(html)


def test_the_signup_form_works_for_a_fetch_caller_with_json() -> None:
    client = client_with_profile("healthcare")
    response = client.post(
        "/newsletter/signup/",
        {"email": "ops@clinic.example", "next": "/blog/"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "sent"
    assert "confirm" in response.json()["message"]
    assert Contact.objects.get().industry == "healthcare"


@pytest.mark.parametrize(
    ("email", "words"),
    [
        ("", "Enter your email"),
        ("not-an-address", "valid email"),
        ("a@b", "valid email"),
        ("x" * 250 + "@example.com", "at most 254"),
    ],
)
def test_a_bad_address_is_refused_naming_the_field_and_nothing_is_stored(
    email: str, words: str, mailoutbox: list[mail.EmailMessage]
) -> None:
    client = Client()
    page = client.post("/newsletter/signup/", {"email": email, "next": "/"})
    assert page.status_code == 400
    html = unescape(page.content.decode())
    assert words in html
    assert 'aria-invalid="true"' in html  # the email field is the one marked
    as_json = client.post(
        "/newsletter/signup/", {"email": email}, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 400
    assert as_json.json()["message"].startswith("email: ")
    assert [d["loc"] for d in as_json.json()["detail"]] == [["email"]]
    assert not Contact.objects.exists()
    assert mailoutbox == []


def test_the_signup_needs_a_post_with_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/newsletter/signup/").status_code == 405
    assert client.post("/newsletter/signup/", {"email": "a@example.com"}).status_code == 403
    assert not Contact.objects.exists()


def test_a_foreign_next_goes_back_to_the_home_page() -> None:
    response = Client().post(
        "/newsletter/signup/", {"email": "a@example.com", "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/?newsletter=sent#newsletter"


def test_a_subscribed_address_gets_nothing_new_and_is_told_so_politely(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    Contact.objects.create(email="sam@example.com", status=Contact.Status.SUBSCRIBED)
    response = Client().post("/newsletter/signup/", {"email": "SAM@example.com", "next": "/"})
    assert response["Location"] == "/?newsletter=subscribed#newsletter"
    page = Client().get(response["Location"]).content.decode()
    assert "already subscribed" in page
    assert mailoutbox == []
    assert Contact.objects.get().status == "subscribed"


def test_an_unsubscribed_address_may_subscribe_again_through_double_opt_in(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    old = Contact.objects.create(email="kim@example.com", status=Contact.Status.SUBSCRIBED)
    old_link = tokens.confirmation_path(old)
    Client().post(tokens.unsubscribe_path(old), {"List-Unsubscribe": "One-Click"})
    # An old confirmation link does not undo the unsubscribe.
    stale = Client().get(old_link)
    assert stale.status_code == 410
    assert Contact.objects.get().status == "unsubscribed"

    response = Client().post("/newsletter/signup/", {"email": "kim@example.com", "next": "/"})
    assert response["Location"] == "/?newsletter=sent#newsletter"
    assert Contact.objects.get().status == "pending"
    assert Client().get(confirmation_path(mailoutbox[-1])).status_code == 200
    assert Contact.objects.get().status == "subscribed"


def test_a_bounced_address_is_refused_with_a_clear_message(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    Contact.objects.create(email="gone@example.com", status=Contact.Status.BOUNCED)
    page = Client().post("/newsletter/signup/", {"email": "gone@example.com", "next": "/"})
    assert page.status_code == 409
    assert b"bounced" in page.content
    as_json = Client().post(
        "/newsletter/signup/",
        {"email": "gone@example.com"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 409
    assert as_json.json()["message"].startswith("email: ")
    assert mailoutbox == []
    assert Contact.objects.get().status == "bounced"


def test_a_tampered_or_expired_confirmation_link_gets_a_clear_page_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contact = Contact.objects.create(email="lee@example.com")
    link = tokens.confirmation_path(contact)
    tampered = link.replace(link[-6:-1], "AAAAA" if link[-6:-1] != "AAAAA" else "BBBBB")
    for path in (tampered, "/newsletter/confirm/garbage/", "/newsletter/confirm/1.x:y:z/"):
        page = Client().get(path)
        assert page.status_code == 400, path
        assert b'data-state="invalid"' in page.content
    later = timezone.now() + tokens.confirm_max_age() + timedelta(seconds=5)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    expired = Client().get(link)
    assert expired.status_code == 410
    assert b'data-state="expired"' in expired.content
    assert b"7 days" in expired.content
    assert Contact.objects.get().status == "pending"
    assert not signup_events().exists()


def test_confirming_respects_the_visitor_s_declined_consent() -> None:
    client = with_consent(client_with_profile("saas"), ConsentState.DENIED)
    client.post("/newsletter/signup/", {"email": "no-tracking@example.com", "next": "/"})
    contact = Contact.objects.get()
    assert contact.consent == "denied"
    assert client.get(tokens.confirmation_path(contact)).status_code == 200
    assert Contact.objects.get().status == "subscribed"  # subscribed, but not measured
    assert not signup_events().exists()


def test_the_confirming_visitor_s_later_consent_choice_wins_over_the_one_at_signup() -> None:
    client = with_consent(client_with_profile("saas"), ConsentState.GRANTED)
    client.post("/newsletter/signup/", {"email": "changed-mind@example.com", "next": "/"})
    contact = Contact.objects.get()
    assert contact.consent == "granted"
    with_consent(client, ConsentState.DENIED)
    client.get(tokens.confirmation_path(contact))
    assert Contact.objects.get().status == "subscribed"
    assert not signup_events().exists()


def test_a_work_address_links_the_visitor_to_its_company_and_free_mail_does_not() -> None:
    client = client_with_profile("saas", visitor_id="c" * 32)
    client.post("/newsletter/signup/", {"email": "ria@globex-newsletter.example", "next": "/"})
    contact = Contact.objects.get()
    assert contact.account is not None
    assert contact.account.domain == "globex-newsletter.example"
    assert VisitorAccountLink.objects.filter(
        visitor_id="c" * 32, account=contact.account, provenance="work_email"
    ).exists()

    accounts = Account.objects.count()
    client_with_profile("saas", visitor_id="d" * 32).post(
        "/newsletter/signup/", {"email": "ria@gmail.com", "next": "/"}
    )
    assert Contact.objects.get(email="ria@gmail.com").account is None
    assert Account.objects.count() == accounts


def test_a_failing_mail_server_leaves_nothing_half_written() -> None:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=9,  # discard port: nothing listens, the connection is refused
        EMAIL_TIMEOUT=2,
    ):
        page = Client().post("/newsletter/signup/", {"email": "x@example.com", "next": "/"})
    assert page.status_code == 503
    assert page["Retry-After"] == "60"
    assert b"saved nothing" in page.content
    assert not Contact.objects.exists()


# --- limits ------------------------------------------------------------------------


def test_one_address_posted_again_and_again_gets_one_confirmation_email(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    """The attack the resend window stops: flooding someone's inbox through the form."""
    for _ in range(5):
        response = Client().post("/newsletter/signup/", {"email": "vic@example.com", "next": "/"})
    assert response["Location"] == "/?newsletter=recent#newsletter"
    assert len(mailoutbox) == 1


def test_someone_who_lost_the_email_gets_a_new_one_after_the_resend_window(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    """The largest legitimate use beside it: asking again once the window has passed."""
    Client().post("/newsletter/signup/", {"email": "pat@example.com", "next": "/"})
    Contact.objects.update(confirmation_sent_at=timezone.now() - timedelta(minutes=10, seconds=1))
    response = Client().post("/newsletter/signup/", {"email": "pat@example.com", "next": "/"})
    assert response["Location"] == "/?newsletter=sent#newsletter"
    assert len(mailoutbox) == 2
    # Either link confirms (both name the same contact).
    assert Client().get(confirmation_path(mailoutbox[0])).status_code == 200


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the test falls in the same fixed rate-limit window."""
    start = time.time()
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: start))


@pytest.mark.usefixtures("one_window")
def test_an_office_behind_one_address_can_sign_up_a_full_minute_s_allowance() -> None:
    """The largest legitimate use: colleagues behind one NAT address, all in one minute."""
    for n in range(ALLOWANCE):
        response = Client().post("/newsletter/signup/", {"email": f"p{n}@acme.example"})
        assert response.status_code == 302, n
    assert Contact.objects.count() == ALLOWANCE


@pytest.mark.usefixtures("one_window")
def test_a_script_posting_addresses_from_one_client_is_stopped(
    mailoutbox: list[mail.EmailMessage],
) -> None:
    """The attack: one client posting many addresses (each would get an email)."""
    statuses = [
        Client()
        .post(
            "/newsletter/signup/",
            {"email": f"target{n}@victims.example"},
            headers={"Accept": "application/json"},
        )
        .status_code
        for n in range(ALLOWANCE + 5)
    ]
    assert statuses.count(200) == ALLOWANCE
    assert statuses[ALLOWANCE:] == [429] * 5
    refused = Client().post("/newsletter/signup/", {"email": "one-more@victims.example"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert b"too many newsletter signups" in refused.content
    assert len(mailoutbox) == ALLOWANCE
