"""The consent banner and the privacy page in a real browser: keyboard and screen-reader
names, decline → nothing stored, accept → stored, withdraw, and the whole flow with
JavaScript off. The database checked is the site's own (the runserver's SQLite file)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import MakeContext, screenshot, sign_in

pytestmark = pytest.mark.browser

WAIT_S = 60.0
LAPTOP = {"width": 1366, "height": 768}


def events_of(env: dict[str, str], visitor_id: str, type_: str | None = None) -> int:
    path = Path(env["PERSX_VAR_DIR"]) / "persx.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        sql = "SELECT COUNT(*) FROM persx_events_event WHERE visitor_id = ?"
        args: tuple[str, ...] = (visitor_id,)
        if type_:
            sql += " AND type = ?"
            args += (type_,)
        return int(db.execute(sql, args).fetchone()[0])


def wait_for_events(env: dict[str, str], visitor_id: str, type_: str, at_least: int = 1) -> int:
    deadline = time.monotonic() + WAIT_S
    while (n := events_of(env, visitor_id, type_)) < at_least:
        assert time.monotonic() < deadline, f"no {type_} stored for the visitor"
        time.sleep(0.1)
    return n


def visitor_id(page: Page) -> str:
    state = page.request.get("/api/personalization").json()
    return str(state["visitor_id"])


def sentinel_page_view(make_context: MakeContext, env: dict[str, str]) -> None:
    """Another (consenting) visitor's page view, waited for until stored: the writer writes
    in order, so what the visitor under test queued before it has been written too."""
    other = make_context().new_page()
    other.goto("/contact/?industry=travel")
    other.get_by_test_id("consent-accept").click()
    other.wait_for_url("**/contact/**")
    other.reload()
    wait_for_events(env, visitor_id(other), "page_view")


def signals_cookie(context: BrowserContext) -> bool:
    return any(c["name"] == "persx_signals" for c in context.cookies())


def test_decline_stores_nothing_accept_stores_and_withdraw_stops_it(
    make_context: MakeContext, server_env: dict[str, str]
) -> None:
    context = make_context()
    page = context.new_page()
    page.goto("/contact/?industry=saas")
    banner = page.get_by_role("region", name="Analytics on this site")
    expect(banner).to_be_visible()
    screenshot(page, "consent-banner.png", full_page=False)
    # keyboard: from the skip link, the banner's buttons come first
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('#persx-consent-banner') !== null")
    assert focused
    me = visitor_id(page)
    # the test site runs opt-out (tests/web/test_consent.py covers opt-in): this first page
    # view, before any choice, is measured
    sentinel_page_view(make_context, server_env)
    before_choice = events_of(server_env, me)
    assert before_choice > 0

    banner.get_by_role("button", name="Decline").click()
    expect(banner).to_be_hidden()
    expect(page.locator("#persx-consent-status")).to_contain_text("declined")
    assert page.evaluate("document.activeElement.id") == "main"
    page.evaluate("window.persxTrack('cta_click', null, {id: 'after-decline'})")
    page.goto("/contact/")
    expect(page.get_by_test_id("consent-banner")).to_have_count(0)
    assert not signals_cookie(context)
    sentinel_page_view(make_context, server_env)
    assert events_of(server_env, me) == before_choice

    page.get_by_role("link", name="Privacy choices").click()
    expect(page.get_by_test_id("consent-state")).to_have_text("declined")
    page.get_by_test_id("privacy-accept").click()
    expect(page.get_by_test_id("consent-state")).to_have_text("accepted")
    page.goto("/contact/")
    wait_for_events(server_env, me, "page_view", at_least=2)
    with page.expect_request(lambda r: r.url.endswith("/api/events")):
        page.evaluate("window.persxTrack('cta_click', null, {id: 'after-accept'})")
    wait_for_events(server_env, me, "cta_click")
    assert signals_cookie(context)

    page.goto("/privacy/")
    page.get_by_test_id("privacy-decline").click()
    expect(page.get_by_test_id("consent-state")).to_have_text("declined")
    stored = events_of(server_env, me)
    page.goto("/contact/")
    assert not signals_cookie(context)
    sentinel_page_view(make_context, server_env)
    assert events_of(server_env, me) == stored


def test_the_whole_flow_works_with_javascript_off(
    make_context: MakeContext, server_env: dict[str, str]
) -> None:
    context = make_context(java_script_enabled=False)
    page = context.new_page()
    page.goto("/about/?industry=healthcare")
    page.get_by_test_id("consent-accept").click()
    page.wait_for_url("**/about/**")
    expect(page.get_by_test_id("consent-banner")).to_have_count(0)
    me = visitor_id(page)
    page.goto("/contact/")
    wait_for_events(server_env, me, "page_view")

    page.get_by_role("link", name="Privacy choices").click()
    expect(page.get_by_test_id("consent-state")).to_have_text("accepted")
    screenshot(page, "privacy-choices.png")
    with page.expect_download() as download:
        page.get_by_test_id("privacy-export").click()
    data = json.loads(Path(download.value.path()).read_text())
    assert data["visitor_ids"] == [me]
    assert any(e["type"] == "page_view" for e in data["events"])

    page.get_by_test_id("privacy-decline").click()
    expect(page.get_by_test_id("consent-state")).to_have_text("declined")
    page.get_by_test_id("privacy-erase").click()
    expect(page.get_by_test_id("consent-status")).to_contain_text("erased")
    assert events_of(server_env, me) == 0
    assert not any(c["name"] == "persx_profile" for c in context.cookies())


@pytest.mark.allow_console_errors("status of 400")  # the unconfirmed erasure, on purpose
def test_an_admin_erases_by_email_and_the_log_shows_no_address(
    make_context: MakeContext, server_env: dict[str, str]
) -> None:
    visitor = make_context().new_page()
    visitor.goto("/contact/?industry=saas")
    visitor.get_by_test_id("consent-accept").click()
    form = visitor.get_by_test_id("contact-form")
    form.get_by_label("Name").fill("Erin Example")
    form.get_by_label("Work email").fill("erin@example.com")
    form.get_by_role("button").last.click()
    visitor.wait_for_url("**sent=1**")
    me = visitor_id(visitor)
    wait_for_events(server_env, me, "form_submission")

    page = make_context(viewport=LAPTOP).new_page()
    sign_in(page, "/cms/")
    page.get_by_role("link", name="Data requests").click()
    page.get_by_label("Email address of the person asking").fill("erin@example.com")
    page.get_by_test_id("admin-erase").click()
    expect(page.get_by_role("alert")).to_contain_text("Tick this box")
    page.get_by_label("Email address of the person asking").fill("erin@example.com")
    page.get_by_label("I checked the request").check()
    page.get_by_test_id("admin-erase").click()
    expect(page.get_by_text("Erased").first).to_be_visible()
    log = page.get_by_test_id("data-request-log")
    expect(log).to_contain_text("Administrator, on request by email")
    expect(log).not_to_contain_text("erin@example.com")
    screenshot(page, "data-requests-admin.png", full_page=False)
    assert events_of(server_env, me) == 0
