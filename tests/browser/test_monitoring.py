"""Web Vitals from the real tracker (Chromium's PerformanceObserver) reach /api/events for a
generic and a personalized page; the Personalization health admin page looks finished."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.support import screenshot, sign_in, start_form_to

pytestmark = pytest.mark.browser


def _vitals_sent(page: Page) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    def collect(request: Request) -> None:
        if request.url.endswith("/api/events") and request.method == "POST":
            body = json.loads(request.post_data or "{}")
            sent.extend(e for e in body.get("events", []) if e["type"] == "web_vital")

    page.context.on("request", collect)
    return sent


def _wait_for_largest_contentful_paint(page: Page) -> None:
    """The browser has recorded this page's LCP (a visitor who leaves before the first paint
    has none to report; on a busy machine the paint can trail the DOM by a while)."""
    seen = page.evaluate(
        """() => new Promise((resolve) => {
          new PerformanceObserver(() => resolve(true))
            .observe({ type: "largest-contentful-paint", buffered: true });
          setTimeout(() => resolve(false), 60000);
        })"""
    )
    assert seen, "the browser recorded no largest contentful paint within a minute"


def _leave_and_come_back(page: Page, path: str) -> None:
    """Hide the page (the tracker reports its vitals), then load another page, which
    re-sends anything a beacon carried and waits for the server to acknowledge it."""
    _wait_for_largest_contentful_paint(page)
    with page.expect_response(
        lambda r: r.url.endswith("/api/events") and r.request.method == "POST"
    ) as answer:
        page.goto(path)
        page.evaluate("window.persxTrack && window.persxTrack('engagement', 1, {})")
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert answer.value.status == 200


def test_web_vitals_of_a_generic_and_a_personalized_page_arrive(page: Page) -> None:
    sent = _vitals_sent(page)
    page.goto("/contact/")
    expect(page.get_by_test_id("contact-form")).to_have_attribute("data-variant", "generic")
    _leave_and_come_back(page, "/")
    generic = {(e["properties"]["metric"], e["properties"]["variant"]) for e in sent}
    assert {("LCP", "generic"), ("CLS", "generic")} <= generic

    start_form_to(page, "saas", "/contact/")
    expect(page.get_by_test_id("contact-form")).to_have_attribute("data-variant", "industry:saas")
    _leave_and_come_back(page, "/")
    variants = {(e["properties"]["metric"], e["properties"]["variant"]) for e in sent}
    assert ("LCP", "industry:saas") in variants
    assert ("CLS", "industry:saas") in variants
    for event in sent:
        assert event["value"] >= 0


def test_the_health_dashboard_looks_finished(page: Page) -> None:
    sign_in(page, "/cms/health/")
    expect(page.get_by_test_id("personalization-health")).to_be_visible()
    expect(page.get_by_test_id("health-cards")).to_be_visible()
    expect(page.get_by_test_id("industry-toggle").get_by_role("link")).to_have_count(6)
    expect(page.locator("[data-testid=health-chart] svg")).to_have_count(3)
    screenshot(page, "health-dashboard.png")
    page.get_by_test_id("industry-toggle").get_by_role("link", name="SaaS").click()
    expect(page.get_by_test_id("industry-toggle").locator("[aria-current=true]")).to_have_text(
        "SaaS"
    )
    screenshot(page, "health-dashboard-saas.png")
