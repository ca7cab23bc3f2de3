"""A path without its trailing slash: 308 (method and body kept) where something answers
with the slash, 404 where nothing does; the same with DEBUG on (`make run`) and off
(issue 15: under `make run` `POST /api/nope` and `POST /contact` answered 500; in
production they got a 301, which turns a POST into a GET without its body)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from persx.leads.models import Lead

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("debug", [True, False])]


@pytest.fixture
def client_for(settings: Any) -> Any:
    def make(debug: bool) -> Client:
        settings.DEBUG = debug
        return Client(raise_request_exception=False)

    return make


def test_unknown_paths_answer_404_for_every_method(client_for: Any, debug: bool) -> None:
    client = client_for(debug)
    for method in ("get", "post", "put", "delete"):
        for path in ("/api/nope", "/nope", "/contact/nope"):
            response = getattr(client, method)(path)
            assert response.status_code == 404, (method, path)


def test_a_page_without_its_slash_is_a_308_that_keeps_method_and_query(
    client_for: Any, debug: bool
) -> None:
    client = client_for(debug)
    for method in ("get", "post", "put", "delete"):
        response = getattr(client, method)("/contact")
        assert response.status_code == 308, method
        assert response["Location"] == "/contact/"
    response = client.get("/contact?industry=saas")
    assert response.status_code == 308
    assert response["Location"] == "/contact/?industry=saas"
    assert client.get("/cms")["Location"] == "/cms/"  # a Django view, not a page


def test_a_form_posted_without_the_slash_arrives_with_its_body(
    client_for: Any, debug: bool
) -> None:
    client = client_for(debug)
    fields = {
        "name": "Ada",
        "email": "ada@example.com",
        "message": "posted without the slash",
        "next": "/contact/",
    }
    response = client.post("/contact/submit", fields)
    assert response.status_code == 308
    assert response["Location"] == "/contact/submit/"
    followed = client.post("/contact/submit", fields, follow=True)
    assert followed.redirect_chain[0] == ("/contact/submit/", 308)
    # The redirect alone stored nothing; the followed POST, body and all, stored the lead.
    assert Lead.objects.filter(message="posted without the slash").count() == 1
