"""README.md's "A short tour" (and docs/studio.md's commands), walked as a new user does:
``make run`` in a fresh checkout with the demo settings, every URL the tour names, the
visible claims that are cheap to check over HTTP, then every command of the tour in
order (``make simulate``, ``persx_report pli-contact``, …, ``simulate_traffic --clear``).
Rules: ``tests/docs/manifest.py``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from harness.site_process import ROOT, free_port
from tests.docs.checkout import Checkout, Visitor, fresh_checkout, user_env
from tests.docs.manifest import DEMO, TOUR_URLS, context_steps, tour_urls

pytestmark = [pytest.mark.slow, pytest.mark.own_server]

MONITOR_PASS_S = 600.0


def variant_of(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}" data-variant="([^"]*)"', html)
    assert match, f"no {testid} block on the page"
    return match.group(1)


def check_tour_urls(visitor: Visitor) -> None:
    urls = tour_urls(ROOT)
    assert urls
    for found in urls:
        method, path = found.text.split(" ", 1)
        answer = visitor.request(method, path, body=b"{}" if method != "GET" else None)
        where = f"{found.where} names `{found.text}`"
        if found.text in TOUR_URLS:
            status, location = TOUR_URLS[found.text]
            assert answer.status == status, (where, answer.status)
            assert answer.headers.get("Location", "").startswith(location), where
        elif method == "GET":
            assert answer.status == 200, (where, answer.status, answer.body[:500])
        else:
            assert answer.status not in {404, 405}, (where, answer.status, answer.body[:500])
            assert answer.status < 500, (where, answer.status, answer.body[:500])


def check_tour_claims(base: str) -> None:
    # 1. The generic contact page, the start form, then Contact written for hospitals.
    visitor = Visitor(base)
    contact = visitor.get("/contact/")
    assert 'data-testid="start-link"' in contact.body  # "Tailor this site"
    assert variant_of(contact.body, "contact-form") == "generic"
    start = visitor.get("/start/?next=/contact/")
    assert start.status == 200
    goals = re.findall(
        r'class="choice[^"]*for-healthcare[^"]*"><input type="checkbox" '
        r'name="goals" value="([^"]+)"',
        start.body,
    )
    assert goals, "the start form offers no healthcare goal"
    sent = visitor.post_form(
        "/start/", [("industry", "healthcare"), ("goals", goals[0]), ("next", "/contact/")]
    )
    assert sent.status == 302, (sent.status, sent.body[:500])
    assert sent.headers["Location"] == "/contact/"
    tailored = visitor.get("/contact/")
    assert "healthcare" in variant_of(tailored.body, "contact-form")
    assert "HIPAA" in tailored.body
    # 2. `/?industry=saas` on any page: SaaS variants.
    saas = Visitor(base).get("/contact/?industry=saas")
    assert "saas" in variant_of(saas.body, "contact-form")
    # 3. Test ideas and the 15 personas, from the site's navigation.
    home = Visitor(base).get("/")
    for label, path in (("Test ideas", "/test-ideas/"), ("Personas", "/personas/")):
        assert f'<a href="{path}">{label}</a>' in home.body
    assert Visitor(base).get("/test-ideas/").status == 200
    personas = Visitor(base).get("/personas/")
    assert personas.body.count('data-testid="persona"') == 15
    # 4. Signing in with the demo login.
    admin = Visitor(base)
    assert admin.get("/accounts/login/").status == 200
    signed_in = admin.post_form(
        "/accounts/login/", [("username", "admin"), ("password", "persx-demo"), ("next", "/")]
    )
    assert signed_in.status == 302, signed_in.body[:500]
    # 5. The Wagtail admin, its Catalog and Leads.
    cms = admin.get("/cms/")
    assert cms.status == 200
    assert "Catalog" in cms.body
    assert "Leads" in cms.body
    # 7. The API's OpenAPI docs name the tour's operations.
    schema = Visitor(base).get("/api/openapi.json")
    assert schema.status == 200
    for path in ("/api/personalization", "/api/catalog", "/api/events"):
        assert f'"{path}"' in schema.body, path


def wait_for_monitor_pass(log: Path) -> None:
    """`make run` queues a monitor pass a minute (`persx_monitor --every 60 --enqueue`) and
    starts a worker: the worker's log records the pass."""
    deadline = time.monotonic() + MONITOR_PASS_S
    while time.monotonic() < deadline:
        if log.exists() and "monitor pass done" in log.read_text(errors="replace"):
            return
        time.sleep(1)
    text = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    pytest.fail(f"`make run`'s monitor wrote no pass to {log} in {MONITOR_PASS_S:.0f} s:\n{text}")


def test_the_readme_tour_works_on_a_fresh_checkout(tmp_path: Path) -> None:
    checkout = Checkout(fresh_checkout(tmp_path / "persx"), user_env(), {"port": str(free_port())})
    ordered = context_steps(ROOT, DEMO)
    server, commands = ordered[0], ordered[1:]
    base = f"http://127.0.0.1:{checkout.values['port']}"
    with checkout.serving(server, base + "/"):
        check_tour_urls(Visitor(base))
        check_tour_claims(base)
        for step in commands:
            if step.command is None:
                continue
            output = checkout.run(step)
            if "persx_coverage --fail-under" in step.command:
                assert "OK: at or above" in output, output[-2000:]
            if "persx_report pli-contact" in step.command:
                assert "pli-contact" in output, output[-2000:]
        wait_for_monitor_pass(checkout.root / "var" / "worker.log")
