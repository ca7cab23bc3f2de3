"""Export and erasure cover newsletter contacts (issue 19): an erased visitor's contact is
deleted, a request by email finds it by its address, and the export lists it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from persx.engine.visitor.profile import ConsentState
from persx.newsletter import tokens
from persx.newsletter.models import Contact
from persx.privacy import services as privacy
from persx.privacy.holders import DataSubject
from persx.privacy.models import DataRequestChannel
from tests.web.conftest import client_with_profile
from tests.web.consent_support import with_consent

pytestmark = pytest.mark.django_db

ANN = "a" * 32


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def test_the_export_lists_the_contact_and_forget_me_deletes_it() -> None:
    client = with_consent(client_with_profile("saas", visitor_id=ANN), ConsentState.GRANTED)
    client.post("/newsletter/signup/", {"email": "ann@initech.example", "next": "/"})
    contact = Contact.objects.get()
    unsubscribe = tokens.unsubscribe_path(contact)

    exported = client.get("/api/personalization/export").json()
    assert [(c["email"], c["status"], c["visitor_id"]) for c in exported["newsletter"]] == [
        ("ann@initech.example", "pending", ANN)
    ]
    assert exported["newsletter"][0]["company_domain"] == "initech.example"

    client.get("/api/personalization")  # sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    erased = client.delete("/api/personalization", headers={"X-CSRFToken": token})
    assert erased.status_code == 200
    assert erased.json()["erased"]["newsletter"] == 1
    assert not Contact.objects.exists()
    # The old email's links name no one now.
    assert client.get(unsubscribe).status_code == 400


def test_a_request_by_email_finds_the_contact_by_its_address_however_written() -> None:
    Contact.objects.create(email="bo@initech.example", visitor_id="b" * 32)
    Contact.objects.create(email="other@initech.example")
    subject = privacy.subject_for_email(" BO@initech.example ")
    assert subject.visitor_ids == frozenset({"b" * 32})
    document = privacy.export(subject, None, DataRequestChannel.ADMIN)
    assert [c["email"] for c in document["newsletter"]] == ["bo@initech.example"]
    counts = privacy.erase(subject, DataRequestChannel.ADMIN)
    assert counts["newsletter"] == 1
    assert list(Contact.objects.values_list("email", flat=True)) == ["other@initech.example"]


def test_a_signup_with_an_erased_visitor_id_is_stored_without_it() -> None:
    """A copy of the old cookie sent after "Forget me" is not the visitor's any more."""
    client = client_with_profile("saas", visitor_id=ANN)
    Contact.objects.create(email="first@initech.example", visitor_id=ANN)
    privacy.erase(DataSubject(frozenset({ANN})), DataRequestChannel.ADMIN)
    client.post("/newsletter/signup/", {"email": "again@initech.example", "next": "/"})
    contact = Contact.objects.get()
    assert (contact.email, contact.visitor_id, contact.industry) == (
        "again@initech.example",
        "",
        "",
    )
