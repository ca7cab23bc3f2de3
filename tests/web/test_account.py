"""A signed-in visitor's profile follows them to another device."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

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
