"""A signed-in visitor's profile follows them to another device."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from persx.config import config
from persx.profiles.models import VisitorProfileRecord
from tests.web.conftest import variants


@pytest.fixture
def member(db: None) -> object:
    return get_user_model().objects.create_user("dana", "dana@example.com", "s3cret-pass-123")


def login(client: Client) -> None:
    response = client.post(
        "/accounts/login/", {"username": "dana", "password": "s3cret-pass-123", "next": "/"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_profile_chosen_before_login_follows_to_a_new_device(member: object) -> None:
    laptop = Client()
    laptop.post("/start/", {"industry": "financial-services", "goals": ["reduce-churn"]})
    login(laptop)
    assert VisitorProfileRecord.objects.get().user == member

    phone = Client()
    assert ("contact-reasons", "generic") in variants(phone.get("/contact/").content)
    login(phone)
    contact = phone.get("/contact/")
    assert ("contact-reasons", "industry:financial-services") in variants(contact.content)
    # The profile is now in the phone's cookie: the account lookup is not repeated.
    assert phone.get("/api/personalization").json()["layer"] == "cookie"


@pytest.mark.django_db
def test_profile_chosen_while_signed_in_is_stored_with_the_account(member: object) -> None:
    laptop = Client()
    login(laptop)
    laptop.post("/start/", {"industry": "travel", "goals": ["increase-direct-bookings"]})
    assert VisitorProfileRecord.objects.get().user == member
    phone = Client()
    login(phone)
    assert ("contact-reasons", "industry:travel") in variants(phone.get("/contact/").content)


@pytest.mark.django_db
def test_forget_me_while_signed_in_removes_the_account_copy(member: object) -> None:
    laptop = Client()
    laptop.post("/start/", {"industry": "travel", "goals": ["increase-direct-bookings"]})
    login(laptop)
    laptop.delete("/api/personalization")
    assert not VisitorProfileRecord.objects.exists()
    phone = Client()
    login(phone)
    assert ("contact-reasons", "generic") in variants(phone.get("/contact/").content)


@pytest.mark.django_db
def test_the_engine_precedence_decides_between_layers_on_real_requests(member: object) -> None:
    """explicit (?industry=) > cookie > account record, as docs/profile-precedence.md says."""
    laptop = Client()
    laptop.post("/start/", {"industry": "ecommerce", "goals": ["reduce-churn"]})
    login(laptop)  # the account record now says ecommerce

    phone = Client()
    login(phone)
    phone.get("/?industry=saas")  # a cookie on the phone that disagrees with the account
    assert phone.get("/api/personalization").json()["industry"]["slug"] == "saas"
    with CaptureQueriesContext(connection) as queries:
        state = phone.get("/api/personalization").json()
    assert (state["industry"]["slug"], state["layer"]) == ("saas", "cookie")
    assert not [q for q in queries if "persx_profiles" in q["sql"]], "account looked up"

    explicit = phone.get("/contact/?industry=travel")
    assert ("contact-reasons", "industry:travel") in variants(explicit.content)

    fresh_device = Client()
    login(fresh_device)  # (the login response already copies the account into a cookie)
    del fresh_device.cookies[config().profile_cookie_name]
    state = fresh_device.get("/api/personalization").json()
    assert state["layer"] == "account"
    assert state["industry"]["slug"] in {"saas", "travel"}  # the account's latest record
