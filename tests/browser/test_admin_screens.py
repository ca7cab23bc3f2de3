"""Staff screens in the browser: the admin bar, the experiment editor, the reports, the API docs.

Every page here fails the test on a console error or an uncaught exception (see the
``make_context`` fixture); the layout checks run at a laptop (1366 px) and a phone (390 px).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect

from tests.browser import report_history
from tests.browser.support import (
    MakeContext,
    contact_block_types,
    industry_name,
    screenshot,
    sign_in,
    start_form_to,
)

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SETTINGS_DIR = Path(__file__).resolve().parents[2] / "persx" / "settings"


def _staff_page(make_context: MakeContext, viewport: dict[str, int]) -> Page:
    phone = viewport["width"] < 600
    page = make_context(viewport=viewport, is_mobile=phone, has_touch=phone).new_page()
    sign_in(page, "/")
    return page


def _fits_horizontally(box: Locator, container: Locator | None = None) -> None:
    """``box`` lies inside ``container`` (default: the viewport) and scrolls nothing sideways."""
    sizes = box.evaluate(
        """(el, outer) => {
            const r = el.getBoundingClientRect();
            const o = outer ? outer.getBoundingClientRect() : {left: 0, right: innerWidth};
            return {left: r.left, right: r.right, outerLeft: o.left, outerRight: o.right,
                    scroll: el.scrollWidth, client: el.clientWidth};
        }""",
        container.element_handle() if container else None,
    )
    assert sizes["left"] >= sizes["outerLeft"] - 0.5, sizes
    assert sizes["right"] <= sizes["outerRight"] + 0.5, sizes
    assert sizes["scroll"] <= sizes["client"], f"content wider than its box: {sizes}"


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_admin_bar_decisions_fit_and_use_names(
    make_context: MakeContext, viewport: dict[str, int]
) -> None:
    page = _staff_page(make_context, viewport)
    start_form_to(page, "healthcare")
    bar = page.get_by_test_id("admin-bar")
    bar.locator("summary").click()
    rows = bar.get_by_test_id("admin-bar-decision")
    expect(rows).to_have_count(len(contact_block_types()))
    _fits_horizontally(bar)
    for row in rows.all():
        _fits_horizontally(row, bar)
        for cell in row.locator("td").all():
            _fits_horizontally(cell, bar)
        # The name people use, with the key as the tooltip.
        variant = row.get_by_title("industry:healthcare")
        expect(variant).to_have_text(industry_name("healthcare"))
        expect(row.get_by_title("industry_match")).to_have_text("Industry match")
    screenshot(page, f"admin-bar-{viewport['width']}.png", full_page=False)


def test_experiment_editor_adds_an_arm_without_console_errors(make_context: MakeContext) -> None:
    page = _staff_page(make_context, LAPTOP)
    page.goto("/cms/snippets/persx_experiments/experiment/add/")
    arms = page.locator("#arms-root")  # the controller names the root once it connected
    expect(arms).to_be_attached()
    keys = page.locator("input[name^='arms-'][name$='-value-key']")
    expect(keys).to_have_count(2)  # control + personalized, by default
    arms.get_by_role("button", name="Add").last.click()
    expect(keys).to_have_count(3)
    # The make_context fixture fails this test if the editor logged an error.


def test_report_columns_are_visible_on_a_laptop(
    make_context: MakeContext, server_manage: Callable[..., None]
) -> None:
    server_manage(*report_history.load_command())
    server_manage("persx_rollup")
    page = _staff_page(make_context, LAPTOP)
    page.goto(f"/cms/measurement/experiments/{report_history.EXPERIMENT}/")
    table = page.get_by_test_id("industry-table")
    expect(table.get_by_role("columnheader", name="Verdict")).to_be_visible()
    main = page.locator("main")
    for tag in table.locator(".px-tag").all():
        _fits_horizontally(tag, main)
    _fits_horizontally(table, main)
    page.set_viewport_size({"width": 1366, "height": 3000})
    screenshot(page, "report-1366.png", full_page=False)


def test_overview_names_the_holdout_setting_that_exists(make_context: MakeContext) -> None:
    page = _staff_page(make_context, LAPTOP)
    page.goto("/cms/measurement/overview/")
    text = page.locator("main").inner_text()
    named = set(re.findall(r"\bPERSX[ _][A-Z_]+", text))
    assert named, "the overview names no setting"
    settings_source = "".join(p.read_text() for p in SETTINGS_DIR.glob("*.py"))
    read = set(re.findall(r"environ\.get\(\"(PERSX_[A-Z_]+)\"", settings_source))
    assert named <= read, f"the overview names {named}; the settings read {read}"


def test_api_docs_list_every_operation_without_the_internet(page: Page) -> None:
    outside: list[str] = []

    def block_outside(route: Route, request: Request) -> None:
        if re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", request.url):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    page.route("**/*", block_outside)
    spec = page.request.get("/api/openapi.json").json()
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    page.goto("/api/docs")
    listed = page.locator(".opblock-summary")
    expect(listed).to_have_count(len(operations))
    shown = {
        (
            block.locator(".opblock-summary-method").inner_text().strip(),
            block.locator(".opblock-summary-path").inner_text().strip().replace("\u200b", ""),
        )
        for block in listed.all()
    }
    assert shown == operations
    assert not outside, f"the docs asked the internet for {outside}"
    screenshot(page, "api-docs.png", full_page=False)
