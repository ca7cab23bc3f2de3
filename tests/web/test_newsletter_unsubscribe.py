"""Leaving the newsletter (issue 19): the unsubscribe link's page and button, RFC 8058
one-click POSTs from mail clients, bounces from a file, and what the admin shows."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core import signing
from django.core.management import CommandError, call_command
from django.test import Client

from persx.newsletter import tokens
from persx.newsletter.models import Contact

pytestmark = pytest.mark.django_db

ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"


def subscribed(email: str = "ana@acme.example") -> Contact:
    return Contact.objects.create(email=email, status=Contact.Status.SUBSCRIBED)


def status_of(contact: Contact) -> str:
    return Contact.objects.get(pk=contact.pk).status


def test_the_link_shows_one_button_and_only_the_post_unsubscribes() -> None:
    contact = subscribed()
    client = Client(enforce_csrf_checks=True)
    page = client.get(tokens.unsubscribe_path(contact))
    assert page.status_code == 200
    assert b'data-state="ask"' in page.content
    assert b"ana@acme.example" in page.content
    assert status_of(contact) == "subscribed"  # a link scanner's GET changes nothing

    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    done = client.post(tokens.unsubscribe_path(contact), {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert b'data-state="done"' in done.content
    assert status_of(contact) == "unsubscribed"
    assert not Contact.objects.get(pk=contact.pk).sendable

    again = client.get(tokens.unsubscribe_path(contact))
    assert b'data-state="already"' in again.content


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "multipart/form-data; boundary=persx"],
)
def test_a_mail_client_s_one_click_post_unsubscribes_without_cookies_or_csrf(
    content_type: str,
) -> None:
    contact = subscribed()
    body = ONE_CLICK_BODY
    if content_type.startswith("multipart"):
        body = (
            b"--persx\r\n"
            b'Content-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n"
            b"--persx--\r\n"
        )
    client = Client(enforce_csrf_checks=True)  # a mail provider's server: no cookies at all
    response = client.generic(
        "POST", tokens.unsubscribe_path(contact), body, content_type=content_type
    )
    assert response.status_code == 200
    assert status_of(contact) == "unsubscribed"
    first = Contact.objects.get(pk=contact.pk).unsubscribed_at
    # Idempotent: a retry answers 200 and changes nothing.
    retry = client.generic(
        "POST", tokens.unsubscribe_path(contact), body, content_type=content_type
    )
    assert retry.status_code == 200
    assert Contact.objects.get(pk=contact.pk).unsubscribed_at == first


def test_a_post_that_is_not_one_click_still_needs_the_csrf_token() -> None:
    contact = subscribed()
    client = Client(enforce_csrf_checks=True)
    for body in (b"", b"List-Unsubscribe=Yes", b"list-unsubscribe=one-click"):
        response = client.generic(
            "POST",
            tokens.unsubscribe_path(contact),
            body,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 403, body
    assert status_of(contact) == "subscribed"


def test_a_years_old_link_still_unsubscribes(monkeypatch: pytest.MonkeyPatch) -> None:
    contact = subscribed()
    path = tokens.unsubscribe_path(contact)
    real = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + 5 * 365 * 24 * 3600)
    response = Client().post(path, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert status_of(contact) == "unsubscribed"


def test_a_tampered_unsubscribe_link_gets_a_clear_page_and_changes_nothing() -> None:
    contact = subscribed()
    path = tokens.unsubscribe_path(contact)
    token = path.removeprefix("/newsletter/unsubscribe/").rstrip("/")
    other = subscribed("bo@acme.example")
    # Another contact's id under this token's signature.
    forged = f"{other.pk}{token[token.index('.') :]}"
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), forged, "nonsense"):
        url = f"/newsletter/unsubscribe/{bad}/"
        page = Client().get(url)
        assert page.status_code == 400, bad
        assert b'data-state="invalid"' in page.content
        one_click = Client().post(
            url, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded"
        )
        assert one_click.status_code == 400
    assert status_of(contact) == "subscribed"
    assert status_of(other) == "subscribed"


def test_the_link_of_an_erased_contact_names_no_one() -> None:
    contact = subscribed()
    path = tokens.unsubscribe_path(contact)
    contact.delete()
    assert Client().get(path).status_code == 400


# --- bounces ----------------------------------------------------------------------


def run_bounces(path: Path) -> str:
    out = StringIO()
    call_command("persx_email_bounces", str(path), stdout=out)
    return out.getvalue()


def test_a_list_of_addresses_marks_them_bounced_and_lists_the_unknown(tmp_path: Path) -> None:
    one, two = subscribed("one@acme.example"), subscribed("two@acme.example")
    keep = subscribed("keep@acme.example")
    listed = tmp_path / "bounces.txt"
    listed.write_text(
        "# from the mail provider\nONE@acme.example\n\n  two@acme.example \nnobody@acme.example\n"
    )
    output = run_bounces(listed)
    assert "2 marked bounced" in output
    assert "unknown: nobody@acme.example" in output
    assert (status_of(one), status_of(two), status_of(keep)) == ("bounced", "bounced", "subscribed")
    first = Contact.objects.get(pk=one.pk).bounced_at
    assert "2 already bounced" in run_bounces(listed)  # again: nothing changes
    assert Contact.objects.get(pk=one.pk).bounced_at == first


def test_a_csv_export_with_an_email_column_marks_them_bounced(tmp_path: Path) -> None:
    contact = subscribed("csv@acme.example")
    export = tmp_path / "bounces.csv"
    export.write_text('date,Email,reason\n2026-12-01,csv@acme.example,"550, no such user"\n')
    assert "1 marked bounced" in run_bounces(export)
    assert status_of(contact) == "bounced"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("good@acme.example\nnot an address\n", "line 2"),
        ("date,address\n2026-12-01,good@acme.example\n", "'email' column"),
        ("email\ngood@acme.example\nbad@\n", "line 3"),
        (b"good@acme.example\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_changes_nothing(
    tmp_path: Path, content: str | bytes, words: str
) -> None:
    contact = subscribed("good@acme.example")
    path = tmp_path / "bounces.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(CommandError) as refused:
        run_bounces(path)
    assert words in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert status_of(contact) == "subscribed"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run_bounces(tmp_path / "absent.txt")


# --- admin ------------------------------------------------------------------------


def test_the_admin_lists_contacts_with_counts_a_status_filter_and_search(
    admin_client: Client,
) -> None:
    subscribed("sub1@acme.example")
    subscribed("sub2@globex.example")
    Contact.objects.create(email="wait@acme.example")
    Contact.objects.create(email="gone@acme.example", status=Contact.Status.BOUNCED)
    page = admin_client.get("/cms/snippets/persx_newsletter/contact/")
    assert page.status_code == 200
    html = page.content.decode()
    counts = {
        status: html.split(f'data-testid="count-{status}">', 1)[1].split("<", 1)[0]
        for status in ("pending", "subscribed", "unsubscribed", "bounced")
    }
    assert counts == {"pending": "1", "subscribed": "2", "unsubscribed": "0", "bounced": "1"}
    filtered = admin_client.get(
        "/cms/snippets/persx_newsletter/contact/", {"status": "subscribed"}
    ).content.decode()
    assert "sub1@acme.example" in filtered
    assert "wait@acme.example" not in filtered
    found = admin_client.get(
        "/cms/snippets/persx_newsletter/contact/", {"q": "globex"}
    ).content.decode()
    assert "sub2@globex.example" in found
    assert "sub1@acme.example" not in found


def test_nobody_adds_or_edits_a_contact_by_hand(admin_client: Client) -> None:
    contact = subscribed()
    assert admin_client.get("/cms/snippets/persx_newsletter/contact/add/").status_code in (
        302,
        403,
    )
    edit = admin_client.get(f"/cms/snippets/persx_newsletter/contact/edit/{contact.pk}/")
    assert edit.status_code in (302, 403)
    inspect = admin_client.get(f"/cms/snippets/persx_newsletter/contact/inspect/{contact.pk}/")
    assert inspect.status_code == 200
    assert b"ana@acme.example" in inspect.content
