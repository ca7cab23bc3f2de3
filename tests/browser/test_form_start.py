"""The tracker sends ``form_start`` once, at the first interaction with the contact form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Request

pytestmark = pytest.mark.browser


def _events(request: Request) -> list[dict[str, Any]]:
    body = request.post_data or "{}"
    return list(json.loads(body).get("events", []))


def test_first_interaction_with_the_contact_form_sends_one_form_start(page: Page) -> None:
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.extend(_events(r)) if r.url.endswith("/api/events") else None)
    page.goto("/contact/?industry=healthcare")
    form = page.get_by_test_id("contact-form")
    variant = form.get_attribute("data-variant")
    with page.expect_request(
        lambda r: (
            r.url.endswith("/api/events") and any(e["type"] == "form_start" for e in _events(r))
        )
    ):
        form.get_by_label("Name").fill("Ada")
        form.get_by_label("Work email").fill("ada@example.com")
        form.get_by_label("Company").click()
    # An event tracked after the interactions is queued behind anything they queued, so
    # once it has been sent every form_start there will ever be from them has been sent.
    with page.expect_request(
        lambda r: (
            r.url.endswith("/api/events") and any(e["type"] == "cta_click" for e in _events(r))
        )
    ):
        page.evaluate("window.persxTrack('cta_click', null, {id: 'probe'})")
    starts = [e for e in sent if e["type"] == "form_start"]
    assert len({e["event_id"] for e in starts}) == 1
    assert starts[0]["page"] == "/contact/"
    assert starts[0]["properties"]["form"] == "contact"
    assert starts[0]["properties"]["variant"] == variant
