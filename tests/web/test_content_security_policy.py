"""Issue 11 #6: the Content-Security-Policy header, and the endpoint violations go to.

The browser proves the pages pass it (tests/browser/test_content_security_policy.py); here
the header itself, that no public page carries what it forbids, and the report endpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from wagtail.models import Page

from tests.web.conftest import client_with_profile

REPORTS = "/api/csp-reports"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class ExecutableInline(HTMLParser):
    """Inline scripts that would run (not JSON data islands), on* handlers, style
    attributes and <style> elements without a nonce."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.style_nonces: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        handlers = [name for name in found if name.startswith("on")]
        if handlers:
            self.found.append(f"<{tag} {handlers[0]}=...>")
        if "style" in found:
            self.found.append(f"<{tag} style=...>")
        if tag == "script" and "src" not in found and found.get("type") != "application/json":
            self.found.append("<script> without src")
        if tag == "style":
            if found.get("nonce"):
                self.style_nonces.append(str(found["nonce"]))
            else:
                self.found.append("<style> without nonce")


def public_urls() -> list[str]:
    pages = Page.objects.live().filter(depth__gt=1).specific().order_by("path")
    return [
        *(page.url for page in pages),
        *("/start/", "/privacy/", "/accounts/login/", "/no-such-page/"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("industry", [None, "saas"])
def test_public_pages_allow_no_inline_script_and_carry_nothing_it_would_block(
    industry: str | None,
) -> None:
    client = client_with_profile(industry) if industry else Client()
    urls = public_urls()
    assert len(urls) >= 12
    for url in urls:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert "'unsafe-inline'" not in policy["style-src"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["report-uri"] == [REPORTS], url
        parser = ExecutableInline()
        parser.feed(response.content.decode())
        assert not parser.found, (url, parser.found)
        # The nonce is in the header exactly when a <style> uses it (the start form).
        nonces = [v for v in policy["style-src"] if v.startswith("'nonce-")]
        assert nonces == [f"'nonce-{n}'" for n in parser.style_nonces], url


@pytest.mark.django_db
def test_each_response_gets_its_own_nonce() -> None:
    first = directives(Client().get("/start/"))["style-src"]
    second = directives(Client().get("/start/"))["style-src"]
    assert first != second


@pytest.mark.django_db
def test_the_admin_policy_allows_inline_code_only_under_the_admin(admin_client: Client) -> None:
    admin = directives(admin_client.get("/cms/"))
    assert "'unsafe-inline'" in admin["script-src"]
    assert "'unsafe-inline'" in admin["style-src"]
    assert admin["object-src"] == ["'none'"]
    assert admin["frame-ancestors"] == ["'self'"]
    # The same signed-in editor on the public site gets the strict policy.
    public = directives(admin_client.get("/"))
    assert public["script-src"] == ["'self'"]


def report(**overrides: Any) -> dict[str, Any]:
    body = {
        "document-uri": "http://testserver/contact/?email=someone@example.com",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "source-file": "http://testserver/contact/?utm=x",
        "status-code": 200,
    }
    body.update(overrides)
    return {"csp-report": body}


def send(body: Any, content_type: str = "application/csp-report") -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client().post(REPORTS, data, content_type=content_type)


@pytest.mark.django_db
def test_a_violation_report_is_logged_without_query_strings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="persx.security"):
        response = send(report())
    assert response.status_code == 204
    [line] = [r for r in caplog.records if r.getMessage() == "csp violation"]
    assert line.__dict__["directive"] == "script-src-elem"
    assert line.__dict__["blocked"] == "inline"
    assert line.__dict__["document"] == "http://testserver/contact/"
    assert line.__dict__["source"] == "http://testserver/contact/:12"
    assert "someone@example.com" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"csp-report": {"violated-directive": "img-src"}}, "document-uri"),
        (report(**{"violated-directive": "", "effective-directive": ""}), "csp-report"),
        (report(**{"line-number": -1}), "line-number"),
        (report(**{"blocked-uri": "x" * 3000}), "blocked-uri"),
        ({"something": "else"}, "csp-report"),
        ("[]", "body"),
        ("{", "body"),
    ],
)
def test_a_bad_report_is_refused_naming_the_field(body: Any, field: str) -> None:
    response = send(body)
    assert response.status_code == 422
    assert field in response.json()["message"]


@pytest.mark.django_db
def test_reports_must_be_json_and_are_rate_limited_per_address() -> None:
    assert send(report(), content_type="text/html").status_code == 415
    with override_settings(PERSX={**settings.PERSX, "CSP_REPORTS_PER_ADDRESS_PER_MINUTE": 2}):
        codes = [send(report()).status_code for _ in range(5)]  # two windows' worth
        elsewhere = Client().post(
            REPORTS,
            json.dumps(report()),
            content_type="application/csp-report",
            REMOTE_ADDR="198.51.100.9",
        )
    assert codes[:2] == [204, 204]
    assert 429 in codes
    assert elsewhere.status_code == 204
