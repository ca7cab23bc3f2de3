"""Issue 15: an editor's daily path in a real browser, for every page type of the demo.

The site runs as in production where it matters here: gunicorn with deploy/gunicorn.conf.py,
DEBUG off, and the request limits of persx/settings/base.py (the test settings do not
override them), on a copy of the seeded demo database (SQLite), plus the largest page
(tests/web/largest_page.py: every personalizable block with a variant for each of the 20
audiences). For each page type: open the editor, press "Save draft" unchanged (it saves),
change a variant's text (or the intro, on page types without variants), publish, and see
the change served to that audience.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    expect,
)
from playwright.sync_api import Error as PlaywrightError

from persx.settings import base as base_settings
from tests.browser.support import ACTION_TIMEOUT_MS, DEMO_ADMIN
from tests.web import largest_page
from tests.web.live_site import LiveSite, gunicorn_site, manage

pytestmark = [pytest.mark.browser, pytest.mark.own_server]

ADMIN_LIMIT = base_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
# The largest edit form renders hundreds of widgets: give the editor time on a busy machine.
EDITOR_TIMEOUT_MS = 3 * ACTION_TIMEOUT_MS


@dataclass(frozen=True)
class Journey:
    """One page's edit: which field to change, and where its new text is served."""

    name: str
    path: str  # the page's public path
    field: str  # the edit form's field name that changes
    audience: str  # industry slug the change is served to ("" for everyone)
    block: str  # the public page's element that shows it (CSS selector)

    @property
    def stream(self) -> str:
        """The StreamField that holds ``field`` ("" for a plain field)."""
        return self.field.split("-")[0] if "-" in self.field else ""


JOURNEYS = [
    Journey(
        "home",
        "/",
        "body-0-value-variants-2-value-content-headline",
        "saas",
        "[data-testid=hero][data-variant='industry:saas']",
    ),
    Journey(
        "about",
        "/about/",
        "body-0-value-variants-1-value-content-headline",
        "healthcare",
        "[data-testid=hero][data-variant='industry:healthcare']",
    ),
    Journey(
        "contact",
        "/contact/",
        "body-1-value-variants-4-value-content-headline",
        "travel",
        "[data-testid=contact-form][data-variant='industry:travel']",
    ),
    Journey(
        "blog post",
        "/blog/experimentation-under-compliance-review/",
        "cta-0-value-variants-1-value-content-headline",
        "healthcare",
        "[data-testid=cta][data-variant='industry:healthcare']",
    ),
    Journey("blog index", "/blog/", "intro", "", ".page-header .lead"),
    Journey("test ideas", "/test-ideas/", "intro", "", ".lead"),
    Journey("personas", "/personas/", "intro", "", ".page-header .lead"),
    Journey(
        "every block for every audience",
        f"/{largest_page.SLUG}/",
        "body-0-value-variants-3-value-content-headline",
        "financial-services",
        "[data-testid=hero][data-variant='industry:financial-services']",
    ),
]


PAGE_IDS = (
    "import json; from wagtail.models import Page; "
    "print(json.dumps({p.url_path.removeprefix('/home'): p.pk for p in Page.objects.all()}))"
)


@dataclass(frozen=True)
class Site:
    live: LiveSite
    page_ids: dict[str, int]  # public path -> page id

    @property
    def url(self) -> str:
        return self.live.url


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """One production-like server for the module, with the largest page added."""
    var_dir = Path(tempfile.mkdtemp(prefix="persx-editor-"))
    # One worker: a publish is seen at once by the process that serves the next request
    # (several workers share it through the shared cache, which is Redis in production).
    with gunicorn_site(var_dir, workers=1) as live:
        manage(live.env, "shell", "-c", "from tests.web import largest_page; largest_page.build()")
        out = manage(live.env, "shell", "-c", PAGE_IDS)
        yield Site(live, json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def editor(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    """The module's one browser context, signed in to the admin; JS errors fail the test."""
    context = browser.new_context(base_url=site.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(EDITOR_TIMEOUT_MS)
    context.set_default_navigation_timeout(EDITOR_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/cms/login/")
    page.fill("input[name=username]", DEMO_ADMIN[0])
    page.fill("input[name=password]", DEMO_ADMIN[1])
    page.click("button[type=submit]")
    page.wait_for_url("**/cms/")
    page.close()
    yield context
    context.close()


def is_autosave(request: Request) -> bool:
    """Wagtail's autosave: a background POST of the edit form that asks for JSON (a save
    the editor presses asks for a page)."""
    return request.method == "POST" and "text/html" not in request.headers.get("accept", "")


# What Wagtail's autosave answers, with a 400, when the form is invalid at that instant or
# another save (the editor's own "Save draft" a moment before) made a newer revision: the
# editor shows it in the autosave indicator; not a failure of the save under test.
AUTOSAVE_REFUSALS = ("validation_error", "invalid_revision")


def autosave_refused(response: Response) -> bool:
    if response.status != 400 or not is_autosave(response.request):
        return False
    try:
        return any(code in response.text() for code in AUTOSAVE_REFUSALS)
    except PlaywrightError:  # the tab moved on before the body was read
        return True


@pytest.fixture
def tab(editor: BrowserContext) -> Iterator[Page]:
    """A new tab in the module's context; a JS error or a failed request fails the test."""
    errors: list[str] = []
    autosave_refusals: list[str] = []
    console_400s: list[str] = []  # the browser's own line for each 400, whichever it was

    def on_response(response: Response) -> None:
        if autosave_refused(response):
            autosave_refusals.append(response.url)
        elif response.status >= 400:
            errors.append(f"{response.status} {response.request.method} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        if "status of 400" in message.text:
            console_400s.append(message.text)
        else:
            errors.append(message.text)

    page = editor.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", on_console)
    page.on("response", on_response)
    yield page
    page.close()
    # Each autosave refusal accounts for one console line; any other 400 is an error.
    errors += console_400s[len(autosave_refusals) :]
    assert not errors, f"errors in the editor: {errors}"


def open_editor(tab: Page, site: Site, path: str, stream: str = "") -> None:
    tab.goto(f"/cms/pages/{site.page_ids[path]}/edit/")
    expect(tab.locator("form[data-edit-form]")).to_be_attached()
    if stream:  # drawn by the editor's script: wait until it is there
        expect(tab.locator(f"input[name='{stream}-count']")).to_be_attached()


def reveal(tab: Page, field: str) -> None:
    """Expand the collapsed panels around ``field`` (outermost first), as a person would."""
    ids = tab.locator(f"[name='{field}']").evaluate(
        """(el) => {
            const out = [];
            for (let n = el.parentElement; n; n = n.parentElement) {
                if (n.matches("section[data-panel]")) out.unshift(n.id);
            }
            return out;
        }"""
    )
    for section_id in ids:
        toggle = tab.locator(f"#{section_id} > .w-panel__header [data-panel-toggle]")
        if toggle.count() and toggle.get_attribute("aria-expanded") == "false":
            toggle.click()
    expect(tab.locator(f"[name='{field}']")).to_be_visible()


def save_draft(tab: Page) -> None:
    tab.get_by_role("button", name="Save draft").click()
    expect(tab.locator(".messages")).to_contain_text("has been updated")


def publish(tab: Page) -> None:
    tab.locator("footer [data-w-dropdown-target=toggle]").click()
    tab.locator("button[name=action-publish]").click()
    expect(tab.locator(".messages")).to_contain_text("has been published")


def sent_fields(tab: Page) -> int:
    return int(
        tab.evaluate(
            """() => {
                let n = 0;
                for (const _ of new FormData(document.querySelector("form[data-edit-form]"))) n++;
                return n;
            }"""
        )
    )


@pytest.mark.parametrize("journey", JOURNEYS, ids=[j.name for j in JOURNEYS])
def test_an_editor_saves_changes_publishes_and_the_audience_sees_it(
    tab: Page, browser: Browser, site: Site, journey: Journey
) -> None:
    open_editor(tab, site, journey.path, journey.stream)
    assert sent_fields(tab) <= ADMIN_LIMIT
    save_draft(tab)  # unchanged: it saves

    text = f"Edited in the browser for {journey.name}"
    open_editor(tab, site, journey.path, journey.stream)
    reveal(tab, journey.field)
    tab.locator(f"[name='{journey.field}']").fill(text)
    publish(tab)

    visitor = browser.new_context(base_url=site.url)
    try:
        public = visitor.new_page()
        query = f"?industry={journey.audience}" if journey.audience else ""
        public.goto(journey.path + query)
        expect(public.locator(journey.block).first).to_contain_text(text)
    finally:
        visitor.close()


def test_the_largest_page_posts_the_measured_number_of_fields(tab: Page, site: Site) -> None:
    """The number in persx/settings/base.py's comment is what Chromium posts today."""
    open_editor(tab, site, f"/{largest_page.SLUG}/", "body")
    sent = sent_fields(tab)
    assert abs(sent - largest_page.EDIT_FORM_FIELDS) <= largest_page.EDIT_FORM_FIELDS * 0.05, sent
    assert sent * 2 <= ADMIN_LIMIT


def test_a_save_over_the_limit_stops_in_the_editor_and_keeps_the_form(
    tab: Page, site: Site
) -> None:
    """With a limit below what About's form sends (the page's script tag rewritten on the
    way in), "Save draft" stops with a message, nothing is sent, and the text stays."""
    low = 100

    def lower_limit(route: Route) -> None:
        response = route.fetch()
        html = response.text().replace(
            f'data-max-fields="{ADMIN_LIMIT}"', f'data-max-fields="{low}"'
        )
        route.fulfill(response=response, body=html)

    tab.route("**/cms/pages/*/edit/", lower_limit)
    open_editor(tab, site, "/about/", "body")
    field = "body-0-value-variants-0-value-content-headline"
    reveal(tab, field)
    tab.locator(f"[name='{field}']").fill("Typed before a refused save")
    posts: list[str] = []
    tab.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and not is_autosave(r) else None,
    )
    tab.get_by_role("button", name="Save draft").click()
    alert = tab.locator("[data-persx-field-limit]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(f"at most {low}")
    expect(alert).to_contain_text("Your changes are still here")
    assert not posts
    expect(tab.locator(f"[name='{field}']")).to_have_value("Typed before a refused save")
    expect(tab.get_by_role("button", name="Save draft")).to_be_enabled()
