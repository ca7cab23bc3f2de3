"""A shared cache can never hand one visitor's cookie or variant to another."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client

from persx.config import config
from tests.web.conftest import client_with_profile

NEW_VISITOR_URLS = [
    "/?industry=saas",
    "/blog/?industry=saas",
    "/test-ideas/?industry=saas",
    "/personas/?industry=saas",
    "/contact/?industry=healthcare",
    "/start/?industry=saas",
    "/api/personalization?industry=saas",
]
PROFILED_PAGES = ["/", "/contact/", "/about/", "/blog/", "/test-ideas/", "/personas/"]


def directives(response: HttpResponse) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",") if d.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize("url", NEW_VISITOR_URLS)
def test_a_response_that_sets_a_visitor_cookie_is_never_stored_by_shared_caches(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    assert config().profile_cookie_name in response.cookies
    assert {"private", "no-store"} <= directives(response)
    assert "public" not in directives(response)


@pytest.mark.django_db
@pytest.mark.parametrize("url", PROFILED_PAGES)
def test_every_page_that_reads_the_profile_is_private(url: str) -> None:
    response = client_with_profile("financial-services").get(url)
    assert response.status_code == 200
    assert "private" in directives(response)
    assert "Cookie" in response.get("Vary", "")
    if response.cookies:
        assert "no-store" in directives(response)


@pytest.mark.django_db
def test_a_csrf_cookie_from_the_api_is_not_cacheable_either() -> None:
    response = Client().get("/api/personalization")
    assert "csrftoken" in response.cookies
    assert {"private", "no-store"} <= directives(response)


def test_static_files_stay_publicly_cacheable(client: Client) -> None:
    response = client.get("/static/persx/site.css")
    assert response.status_code == 200
    assert "private" not in directives(response)
    assert not response.cookies
