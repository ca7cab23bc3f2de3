"""Browser tests: a real `runserver` process on a throwaway SQLite database (a copy of the
session's seeded demo database, tests/web/live_site.py), driven by Chromium.

One server and one browser for the whole session. The tests talk to the server over HTTP
only, so they never touch pytest-django's test database.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, expect

from tests.browser.support import ACTION_TIMEOUT_MS, MakeContext
from tests.ci import in_ci
from tests.web.live_site import manage, prepare_site_database, runserver_site, site_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = (
    "Debian chromium not installed: run as root `apt-get install chromium` "
    "or `make test` which installs it"
)
ROOT = Path(__file__).resolve().parents[2]

expect.set_options(timeout=ACTION_TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests after every other test.

    Playwright's sync API keeps an asyncio loop "running" in the main thread from the first
    browser test until the session ends, and Django refuses ORM calls while a loop runs
    (SynchronousOnlyOperation). Run last, nothing touches the ORM while Playwright is up:
    session fixtures are torn down in reverse, so Playwright stops before pytest-django
    drops the test database.
    Under pytest-xdist (``make test`` runs two processes) this still holds in each process:
    its load scheduling hands out the collected items in this order, so a process gets its
    browser tests after all its others. A test elsewhere that uses Playwright is refused.
    """
    here = Path(__file__).resolve().parent
    stray = [
        item.nodeid
        for item in items
        if "browser_name" in getattr(getattr(item, "callspec", None), "params", {})
        and here not in item.path.resolve().parents
    ]
    if stray:
        # pytest-playwright parametrizes any test with a fixture or parameter named "page"
        # by browser, and pytest then groups the browser tests around it: they would run
        # before ORM tests in the same process (their asyncio loop breaks those).
        raise pytest.UsageError(
            "tests outside tests/browser use Playwright (a fixture or parameter named "
            f"page/browser/context?): {', '.join(stray[:5])}"
        )
    browser = [item for item in items if here in item.path.resolve().parents]
    if browser:
        others = [item for item in items if here not in item.path.resolve().parents]
        items[:] = others + browser


@pytest.fixture(scope="session", autouse=True)
def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail(f"CI=true runs every browser test: {CHROMIUM_MISSING}", pytrace=False)
        pytest.skip(f"!!! {CHROMIUM_MISSING}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if any(CHROMIUM_MISSING in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_sep("!", f"BROWSER TESTS SKIPPED: {CHROMIUM_MISSING}", red=True)


@pytest.fixture(scope="session")
def server_env(_require_chromium: None) -> Iterator[dict[str, str]]:
    """The environment of the site's processes (its own throwaway database directory)."""
    var_dir = Path(tempfile.mkdtemp(prefix="persx-browser-"))
    yield site_env(var_dir)
    shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server_manage(server_env: dict[str, str]) -> Callable[..., None]:
    """Run a ``manage.py`` command against the site's database (e.g. to load data)."""
    return lambda *args: manage(server_env, *args)


@pytest.fixture(scope="session")
def server_url(server_env: dict[str, str]) -> Iterator[str]:
    """Migrate and seed a fresh database, run the site, and yield its base URL."""
    env = server_env
    var_dir = Path(env["PERSX_VAR_DIR"])
    prepare_site_database(var_dir)
    with runserver_site(var_dir, env) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], _require_chromium: None
) -> dict[str, Any]:
    # No "--no-sandbox" needed as root: Playwright adds it itself (chromium_sandbox=False).
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-quic",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(server_url: str) -> str:
    """pytest-playwright's contexts resolve relative URLs (``page.goto("/contact/")``) here."""
    return server_url


@pytest.fixture
def make_context(
    new_context: Callable[..., BrowserContext], request: pytest.FixtureRequest
) -> Iterator[MakeContext]:
    """New browser contexts with the default timeouts, that fail the test on a JS error.

    Uncaught exceptions and console errors on any page (public or admin) fail the test;
    a test that causes one on purpose names it with ``@pytest.mark.allow_console_errors``.
    Built on pytest-playwright's ``new_context``, so they close after the test.
    """
    errors: list[str] = []
    allowed = [s for m in request.node.iter_markers("allow_console_errors") for s in m.args]

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(s in message.text for s in allowed):
            where = message.page.url if message.page else "?"
            errors.append(f"{where}: console.error: {message.text}")

    def make(**kwargs: Any) -> BrowserContext:
        ctx = new_context(**kwargs)
        ctx.set_default_timeout(ACTION_TIMEOUT_MS)
        ctx.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
        ctx.on("weberror", lambda e: errors.append(f"{e.page.url if e.page else '?'}: {e.error}"))
        ctx.on("console", on_console)
        return ctx

    yield make
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def context(make_context: MakeContext) -> BrowserContext:
    return make_context()
