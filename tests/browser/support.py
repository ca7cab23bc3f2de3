"""What the browser tests expect (read from the demo data files) and the steps they share."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, expect

ROOT = Path(__file__).resolve().parents[2]
SITE_FILE = ROOT / "persx" / "demo" / "data" / "site.json"
CATALOG_FILE = ROOT / "persx" / "catalog" / "data" / "catalog.json"
SCREENSHOT_DIR = ROOT / "test-artifacts" / "screenshots"
# The longest any one step (a navigation, a click, an expect) may take before the test fails.
# Steps wait on conditions and return as soon as they hold, so this bound costs nothing on a
# healthy run; it is generous so a loaded 2-core machine (Chromium + runserver + other work)
# does not turn slowness into a failure.
ACTION_TIMEOUT_MS = 60_000
PROFILE_COOKIE = "persx_profile"
DEMO_ADMIN = ("admin", "persx-demo")

MakeContext = Callable[..., BrowserContext]

INDUSTRIES = ("ecommerce", "healthcare", "saas", "financial-services", "travel")


@cache
def site() -> dict[str, Any]:
    return json.loads(SITE_FILE.read_text(encoding="utf-8"))


@cache
def catalog() -> dict[str, Any]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def industry_name(slug: str) -> str:
    return next(i["name"] for i in catalog()["industries"] if i["slug"] == slug)


def goal_label(slug: str) -> str:
    return next(g["label"] for g in catalog()["goals"] if g["slug"] == slug)


def persona_goals(persona: str) -> list[str]:
    return next(p["goals"] for p in catalog()["personas"] if p["slug"] == persona)


def neutral_goal(*industries: str) -> str:
    """A goal no persona of these industries has: the profile stays industry-level."""
    persona_goal_slugs = {
        g for p in catalog()["personas"] if p["industry"] in industries for g in p["goals"]
    }
    return next(g["slug"] for g in catalog()["goals"] if g["slug"] not in persona_goal_slugs)


def _block(page: str, block_type: str) -> dict[str, Any]:
    return next(b for b in site()[page]["body"] if b["type"] == block_type)


def contact_reasons(variant: str) -> list[str]:
    """The Contact page's reasons for ``variant`` (``generic`` or an audience key)."""
    block = _block("contact", "contact_form")
    if variant == "generic":
        return list(block["base"]["reasons"])
    content = next(v["content"] for v in block["variants"] if v["audience"] == variant)
    return list(content.get("reasons") or block["base"]["reasons"])


def contact_block_types() -> list[str]:
    return [b["type"] for b in site()["contact"]["body"] if b["type"] != "text"]


# --- steps --------------------------------------------------------------------------------


def wait_for_path(page: Page, path: str) -> None:
    """Wait until the page is at exactly ``path`` (path and query, any host)."""

    def at(url: str) -> bool:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "") == path

    page.wait_for_url(at)


def choose_on_start_form(page: Page, industry: str, goals: list[str] | None = None) -> None:
    """On the open start form: click the industry's label, tick the goals, submit.

    The form shows the industry's own goals first; a goal of another industry needs
    "Show all goals" first, as a person would click it.
    """
    form = page.get_by_test_id("start-form")
    expect(form).to_be_visible()
    industry_set = form.locator("fieldset").filter(has_text="Your industry")
    industry_set.locator("label.choice").filter(
        has=page.locator(f"input[value='{industry}']")
    ).click()
    expect(form.locator(f"input[name=industry][value='{industry}']")).to_be_checked()
    goals_set = form.locator("fieldset").filter(has=page.locator("input[name=goals]"))
    for box in goals_set.locator("input[name=goals]:checked").all():
        box.uncheck()
    for goal in goals if goals is not None else [neutral_goal(industry)]:
        label = goals_set.locator("label.choice").filter(has=page.locator(f"input[value='{goal}']"))
        expect(label).to_contain_text(goal_label(goal))
        if not label.is_visible():  # another industry's goal: shown on request
            goals_set.get_by_test_id("show-all-goals").click()
        label.click()
        expect(form.locator(f"input[name=goals][value='{goal}']")).to_be_checked()
    form.get_by_test_id("start-submit").click()


def start_form_to(
    page: Page, industry: str, next_path: str = "/contact/", goals: list[str] | None = None
) -> None:
    """Open the start form, choose ``industry`` (and goals) and land back on ``next_path``."""
    page.goto(f"/start/?next={next_path}")
    choose_on_start_form(page, industry, goals)
    wait_for_path(page, next_path)


def expect_contact(page: Page, variant: str) -> None:
    """The Contact page shows ``variant``'s reasons (the list's text, item by item)."""
    reasons = page.get_by_test_id("contact-reasons")
    expect(reasons).to_have_attribute("data-variant", variant)
    expect(reasons.locator("li")).to_have_text(contact_reasons(variant))
    expect(page.get_by_test_id("contact-form")).to_have_attribute("data-variant", variant)


def profile_cookie(context: BrowserContext) -> dict[str, Any]:
    cookies = [c for c in context.cookies() if c["name"] == PROFILE_COOKIE]
    assert len(cookies) == 1, f"expected one {PROFILE_COOKIE} cookie, got {context.cookies()}"
    return dict(cookies[0])


def sign_in(page: Page, next_path: str = "/contact/", *, expect_no_profile: bool = False) -> None:
    """Sign in as the demo admin through the login form and land on ``next_path``."""
    page.goto(f"/accounts/login/?next={next_path}")
    if expect_no_profile:
        expect(page.get_by_test_id("start-link")).to_be_visible()
    form = page.get_by_test_id("login-form")
    form.get_by_label("Username").fill(DEMO_ADMIN[0])
    form.get_by_label("Password").fill(DEMO_ADMIN[1])
    form.get_by_role("button", name="Sign in").click()
    wait_for_path(page, next_path)


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
