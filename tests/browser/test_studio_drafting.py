"""The studio with AI drafting on, in a real browser: a second site process whose
``ANTHROPIC_BASE_URL`` points at a fake Messages API served over real HTTP by this test
(the only faked part), so the official SDK, the worker thread and the admin run for real.

- a matrix cell's panel drafts that cell and opens its review;
- the fact-sheet form refuses a contradiction naming the field, then saves version 1;
- "Draft all missing cells": the estimate before it starts, then a progress bar that
  advances as the fake API answers (each answer released by the test), to "Finished";
- the matrix with inline results from a running experiment's report (rollups built from
  stored events) — screenshots of these go to test-artifacts/, and to docs/img/ (the
  editor's guide) when ``PERSX_DOCS_IMAGES=1`` is set, so a test run leaves the tracked
  tree as it was.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import ROOT, MakeContext, screenshot, sign_in, site, wait_for_path
from tests.web.live_site import (
    manage,
    prepare_site_database,
    runserver_site,
    site_env,
)

pytestmark = pytest.mark.browser

DOCS_IMG = ROOT / "docs" / "img"
BASE_MARKER = "Generic version of this block (rewrite it for the audience, same fields):"
REPLY_TIMEOUT_S = 120


class FakeMessagesApi:
    """``POST /v1/messages``: a valid draft of the block asked about (its generic content
    with the headline rewritten). While ``held`` is set, each reply waits for a permit."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.verifications: list[dict[str, Any]] = []
        self.held = False
        self.permits = threading.Semaphore(0)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if body["tool_choice"]["name"] == "submit_verdicts":  # the claim check's pass
                    api.verifications.append(body)
                    reply = json.dumps(api.verdicts(body)).encode()
                else:
                    api.requests.append(body)
                    if api.held:
                        api.permits.acquire(timeout=REPLY_TIMEOUT_S)
                    reply = json.dumps(api.reply(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def reply(body: dict[str, Any]) -> dict[str, Any]:
        prompt = body["messages"][0]["content"]
        base = ast.literal_eval(prompt.split(BASE_MARKER, 1)[1].strip().split("\n\n", 1)[0])
        audience = re.search(r"^Audience: (.+?) \(", prompt, re.MULTILINE)
        content = dict(base)
        for key in ("headline", "quote", "title"):
            if content.get(key):
                content[key] = f"Made for {audience.group(1) if audience else 'you'}"[:60]
                break
        return {
            "id": "msg_browser",
            "type": "message",
            "role": "assistant",
            "model": "claude-browser-fake",
            "content": [
                {"type": "tool_use", "id": "toolu_b", "name": "submit_draft", "input": content}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            # About what a real API would count (4 characters a token).
            "usage": {
                "input_tokens": len(json.dumps(body)) // 4,
                "output_tokens": len(json.dumps(content)) // 4,
            },
        }

    @staticmethod
    def verdicts(body: dict[str, Any]) -> dict[str, Any]:
        """The verification pass: every numbered sentence supported."""
        prompt = body["messages"][0]["content"]
        numbers = re.findall(r"^(\d+)\. \[", prompt, re.MULTILINE)
        verdicts = [{"sentence": int(n), "supported": True} for n in numbers]
        return {
            "id": "msg_browser_verify",
            "type": "message",
            "role": "assistant",
            "model": "claude-browser-fake",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_v",
                    "name": "submit_verdicts",
                    "input": {"verdicts": verdicts},
                }
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": len(prompt) // 4, "output_tokens": 10 * len(verdicts)},
        }

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.permits.release()


RESULTS_SETUP = """
from datetime import timedelta
from django.utils import timezone
import uuid
from persx.analytics.services import update_rollups
from persx.content.models import StandardPage
from persx.events.models import Event
from persx.experiments.models import Experiment

contact = StandardPage.objects.get(slug="contact")
Experiment.objects.create(
    key="contact-pli", name="Contact page PLI", status="running", scope_kind="page",
    scope_value=str(contact.pk), primary_metric="form_submission",
    arms=[{"key": "control", "kind": "generic", "weight": 0.5},
          {"key": "personalized", "kind": "personalized", "weight": 0.5}],
)
day0 = timezone.now() - timedelta(days=6)
rows = []
plan = {
    "travel": (1500, 300, 1500, 150),
    "saas": (1500, 150, 1500, 300),
    "healthcare": (160, 16, 160, 21),
}
for industry, (cv, cc, tv, tc) in plan.items():
    for arm, visitors, conversions in (("control", cv, cc), ("personalized", tv, tc)):
        for i in range(visitors):
            visitor = f"{industry}-{arm}-{i}"
            when = day0 + timedelta(days=i % 6, hours=9)
            served = "generic" if arm == "control" else f"industry:{industry}"
            reason = "experiment_control" if arm == "control" else "industry_match"
            rows.append(Event(event_id=uuid.uuid4(), type="exposure", visitor_id=visitor,
                occurred_at=when, received_at=when, page="/contact/", experiment="contact-pli",
                arm=arm, industry=industry, block="hero", variant=served,
                would_be=f"industry:{industry}", reason=reason))
            if i < conversions:
                later = when + timedelta(hours=1)
                rows.append(Event(event_id=uuid.uuid4(), type="form_submission",
                    visitor_id=visitor, occurred_at=later, received_at=later, page="/contact/"))
Event.objects.bulk_create(rows)
update_rollups()
"""


@pytest.fixture(scope="module")
def fake_api() -> Iterator[FakeMessagesApi]:
    api = FakeMessagesApi()
    yield api
    api.server.shutdown()


@pytest.fixture(scope="module")
def drafting_site(fake_api: FakeMessagesApi) -> Iterator[str]:
    """Its own database and runserver, with drafting on (the fake API's address)."""
    var_dir = Path(tempfile.mkdtemp(prefix="persx-studio-browser-"))
    env = site_env(
        var_dir,
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=fake_api.url,
        PERSX_DRAFT_MODEL="claude-browser-fake",
    )
    prepare_site_database(var_dir)
    manage(env, "shell", "-c", RESULTS_SETUP)
    try:
        with runserver_site(var_dir, env) as url:
            yield url
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser_context_args(
    browser_context_args: dict[str, Any], drafting_site: str
) -> dict[str, Any]:
    """This module's pages talk to the drafting site."""
    return {**browser_context_args, "base_url": drafting_site}


@pytest.fixture
def studio(make_context: MakeContext) -> Page:
    page = make_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, "/cms/studio/coverage/")
    return page


def docs_image(page: Page, name: str, *, full_page: bool = False) -> None:
    path = screenshot(page, name, full_page=full_page)
    if os.environ.get("PERSX_DOCS_IMAGES") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_IMG / name)


def contact_row(page: Page, block_type: str) -> Any:
    rows = page.locator(f'[data-testid="coverage-row"][data-block-type="{block_type}"]')
    return rows.filter(has_text=site()["contact"]["title"])


def test_matrix_shows_inline_results_and_a_cell_drafts_itself(
    studio: Page, fake_api: FakeMessagesApi
) -> None:
    studio.goto("/cms/studio/coverage/")
    hero = contact_row(studio, "hero")
    travel = hero.locator('td[data-audience="industry:travel"]')
    expect(travel).to_have_attribute("data-state", "underperforming")
    expect(travel.get_by_test_id("cell-result")).to_contain_text("−50% (")
    expect(travel.get_by_test_id("cell-result")).to_contain_text("underperforming")
    healthcare = hero.locator('td[data-audience="industry:healthcare"]')
    expect(healthcare.get_by_test_id("cell-result")).to_contain_text("insufficient data: ~")
    saas = hero.locator('td[data-audience="industry:saas"]')
    expect(saas.get_by_test_id("cell-result")).to_contain_text("on target")
    hero.evaluate("row => row.scrollIntoView({block: 'center'})")  # the rows with results
    docs_image(studio, "studio-matrix-results.png")

    travel.locator("a.px-state").click()
    panel = studio.get_by_test_id("cell-panel")
    expect(panel.get_by_test_id("panel-result")).to_contain_text("underperforming")
    expect(panel.get_by_test_id("panel-retire-form")).to_be_visible()
    expect(panel.get_by_test_id("panel-result")).to_have_attribute(
        "href", "/cms/measurement/experiments/contact-pli/"
    )
    studio.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    studio.goto("/cms/studio/coverage/?industry=saas")
    cell = contact_row(studio, "hero").locator('td[data-audience="persona:saas-demand-gen"]')
    expect(cell).to_have_attribute("data-state", "inherited")
    cell.locator("a.px-state").click()
    before = len(fake_api.requests)
    panel.get_by_test_id("draft-cell").click()
    studio.wait_for_url(re.compile(r"/cms/studio/drafts/\d+/$"))
    expect(studio.get_by_test_id("draft-review")).to_contain_text("claude-browser-fake")
    expect(studio.locator("#f-headline")).to_have_value("Made for Demand Gen Diana")
    assert len(fake_api.requests) == before + 1
    studio.goto("/cms/studio/coverage/?industry=saas")
    expect(
        contact_row(studio, "hero").locator('td[data-audience="persona:saas-demand-gen"]')
    ).to_have_attribute("data-state", "draft")


@pytest.mark.allow_console_errors("the server responded with a status of 400")
def test_fact_sheet_form_names_the_field_then_saves_a_version(studio: Page) -> None:
    studio.goto("/cms/studio/fact-sheets/")
    studio.locator(
        '[data-testid="fact-sheet-row"][data-audience="industry:healthcare"]'
    ).get_by_role("link", name="Edit").click()
    wait_for_path(studio, "/cms/studio/fact-sheets/industry:healthcare/")
    form = studio.get_by_test_id("fact-sheet-form")
    form.get_by_label("Approved proof points and numbers").fill(
        "Westbrook Ridge Health raised online bookings 27% year over year."
    )
    form.get_by_label("Customers").fill("Westbrook Ridge Health")
    form.get_by_label("Words to avoid").fill("guaranteed\nWestbrook")
    form.get_by_label("Tone").fill("Calm, precise, no hype.")
    form.get_by_test_id("save-fact-sheet").click()
    expect(studio.get_by_test_id("fact-sheet-errors")).to_contain_text("words_to_avoid")
    expect(studio.get_by_test_id("error-words_to_avoid")).to_contain_text("“Westbrook”")
    docs_image(studio, "studio-fact-sheet-error.png", full_page=True)

    form.get_by_label("Words to avoid").fill("guaranteed\nrevolutionary")
    form.get_by_test_id("save-fact-sheet").click()
    expect(studio.locator(".messages")).to_contain_text("as version 1")
    expect(studio.get_by_test_id("fact-sheet-edit")).to_contain_text("version 1")
    expect(form.get_by_label("Tone")).to_have_value("Calm, precise, no hype.")
    docs_image(studio, "studio-fact-sheet.png", full_page=True)


def test_batch_shows_the_estimate_then_a_progress_bar_to_the_end(
    studio: Page, fake_api: FakeMessagesApi
) -> None:
    about = site()["about"]["title"]
    studio.goto("/cms/studio/coverage/")
    row = studio.locator('[data-testid="coverage-row"]').filter(has_text=about).first
    row.locator("td.px-cell a.px-state").first.click()
    studio.get_by_test_id("panel-batch").click()
    studio.wait_for_url(re.compile(r"/cms/studio/batches/new/\?page=\d+$"))
    cells = int(studio.get_by_test_id("estimate-drafts").inner_text().replace(",", ""))
    assert cells >= 3
    expect(studio.get_by_test_id("estimate-tokens")).to_contain_text("≈ ")
    expect(studio.get_by_test_id("estimate-cost")).to_contain_text("$")
    docs_image(studio, "studio-batch-estimate.png", full_page=True)

    studio.get_by_label("Budget (tokens)").fill("5,000,000")
    fake_api.held = True
    before = len(fake_api.requests)
    try:
        studio.get_by_test_id("batch-start").click()
        studio.wait_for_url(re.compile(r"/cms/studio/batches/\d+/$"))
        progress = studio.get_by_test_id("batch-progress")
        expect(progress).to_have_attribute("aria-valuemax", str(cells))
        expect(progress).to_have_attribute("aria-valuenow", "0")
        fake_api.release()
        expect(progress).to_have_attribute("aria-valuenow", "1")
        fake_api.release()
        expect(progress).to_have_attribute("aria-valuenow", "2")
        expect(studio.get_by_test_id("batch-progress-text")).to_contain_text(f"2 of {cells}")
        expect(studio.get_by_test_id("batch-state")).to_contain_text("Drafting")
        docs_image(studio, "studio-batch-progress.png")
    finally:
        fake_api.held = False
        fake_api.release(cells)
    expect(studio.get_by_test_id("batch-state")).to_contain_text("Finished")
    expect(progress).to_have_attribute("aria-valuenow", str(cells))
    expect(studio.get_by_test_id("batch-progress-text")).to_contain_text(f"{cells} drafted")
    assert len(fake_api.requests) - before == cells
