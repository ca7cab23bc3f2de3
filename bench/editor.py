"""How long the Wagtail editor of the Contact page (20 collapsed variants) takes to open.

Two figures: the server's render of the edit view in-process, and, when Debian's chromium
is installed, a real browser's time until the StreamField editor is built (the block
controller names its root ``#body-root`` once every block, collapsed ones included, exists).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from harness.site_process import free_port, running, runserver_argv

CHROMIUM = Path("/usr/bin/chromium")
ROUNDS = 5


def _contact_editor_path() -> tuple[str, int]:
    from persx.content.models import StandardPage

    contact = StandardPage.objects.get(slug="contact")
    blocks = [b for b in contact.body if b.block_type != "text"]
    variants = sum(len(block.value["variants"]) for block in blocks)
    return f"/cms/pages/{contact.pk}/edit/", variants


def _server_render(path: str) -> tuple[float, int]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    size = len(client.get(path).content)
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), size


def _browser_ready_s(path: str) -> list[float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="persx-bench-editor-")) / "runserver.log"
    with running(runserver_argv(port), os.environ.copy(), log, f"{base}/api/catalog"):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-gpu"])
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.set_default_timeout(300_000)
            page.goto(f"{base}/accounts/login/?next=/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill("persx-demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            samples = []
            for _ in range(ROUNDS):
                start = time.perf_counter()
                page.goto(base + path, wait_until="commit")
                page.locator("#body-root").wait_for(state="attached")
                samples.append(time.perf_counter() - start)
            browser.close()
        return samples


def bench_editor() -> None:
    path, variants = _contact_editor_path()
    server_ms, size = _server_render(path)
    print(f"\n== Contact page editor ({variants} variants, collapsed) ==")
    print(f"  server render (in-process)   : {server_ms:8.1f} ms")
    print(f"  HTML                         : {size / 1024:8.1f} KiB")
    if not CHROMIUM.exists():
        print("  browser: skipped (no /usr/bin/chromium)")
        return
    ready = _browser_ready_s(path)
    print(
        f"  browser, until the editor is built: median {statistics.median(ready):.2f} s"
        f" (min {min(ready):.2f}, max {max(ready):.2f}, {ROUNDS} loads)"
    )
