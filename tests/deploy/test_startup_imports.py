"""Starting a process costs no heavy optional library and no admin screen (issue 15: every
management command spent ~5 s of CPU starting, 1.5 s of it the LLM SDK and 1 s scipy, for
a 0.1 s pass; issue 18: a command's start <= 1 s of CPU).

Wagtail imports every app's ``wagtail_hooks`` while Django sets up, so the hooks register
their admin views by dotted path (persx/access/lazy_view.py): the view's module, and the
reports, charts, numpy and drafting code under it, load on the screen's first request.

- A fresh interpreter with the settings a user gets runs ``manage.py help`` and imports
  the whole URL configuration: none of the heavy libraries (numpy included), none of the
  report/chart modules and none of the modules the admin's lazy views name may be
  imported by then. Loading every PersX management command class after that imports no
  optional library (the LLM SDK, scipy, scikit-learn, ...): a command imports those
  where it uses them.
- A fresh interpreter serves one personalized page through the WSGI application (after
  importing the URL configuration, as the preloading gunicorn master does): the same.
- Every lazy view of the URL configuration names a view that exists (a misspelt path
  would only fail on that screen's first request).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import get_resolver

from persx.access.lazy_view import lazy_view, load_view
from tests.engine.fresh_interpreter import last_line_of_fresh_run

HEAVY = (
    "anthropic",
    "scipy",
    "sklearn",
    "numpy",
    "pandas",
    "matplotlib",
    "playwright",
    "locust",
    "clickhouse_connect",
    "chdb",
)
# Libraries only some commands' work needs: loading every command class imports none.
OPTIONAL = ("anthropic", "scipy", "sklearn", "pandas", "matplotlib", "playwright", "locust")
# The measured screens' building blocks: reports, their statistics and the chart kit.
ADMIN_ONLY = (
    "persx.analytics.reports",
    "persx.analytics.report_charts",
    "persx.analytics.report_maths",
    "persx.analytics.bandit_report",
    "persx.analytics.overview",
    "persx.engine.statistics",
    "persx.charts.cumulative",
    "persx.charts.daily_rates",
    "persx.charts.interval",
    "persx.charts.allocation",
    "persx.charts.reliability",
    "persx.generation.anthropic_provider",
)

# Lists what a process has imported that it should not have: run at its end.
IMPORTED_REPORT = """
def lazy_targets(patterns):
    for pattern in patterns:
        yield from lazy_targets(getattr(pattern, "url_patterns", []))
        target = getattr(getattr(pattern, "callback", None), "lazy_target", None)
        if target:
            yield target

from django.urls import get_resolver

targets = sorted(set(lazy_targets(get_resolver().url_patterns)))
lazy_modules = {target.rpartition(".")[0] for target in targets}
forbidden = [*json.loads(FORBIDDEN), *lazy_modules]
imported = sorted(
    name for name in sys.modules
    if any(name == f or name.startswith(f + ".") for f in forbidden)
)
"""

COMMAND = (
    """
import io, json, runpy, sys
from contextlib import redirect_stdout

sys.argv = ["manage.py", "help"]
with redirect_stdout(io.StringIO()):
    runpy.run_path("manage.py", run_name="__main__")
"""
    + IMPORTED_REPORT
    + """
from django.core.management import get_commands, load_command_class

loaded = []
for name, app in sorted(get_commands().items()):
    if app.startswith("persx"):
        load_command_class(app, name)
        loaded.append(name)
by_commands = sorted(m for m in sys.modules if m.split(".")[0] in json.loads(OPTIONAL))
print(json.dumps({
    "commands": loaded, "lazy_targets": targets, "imported": imported,
    "imported_by_commands": by_commands,
}))
"""
)

SERVE_ONE_PAGE = (
    """
import io, json, sys
from persx.wsgi import application
from django.urls import get_resolver

get_resolver().url_patterns  # what the preloading master imports (gunicorn's when_ready)
environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/contact/", "QUERY_STRING": "industry=saas",
    "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1",
    "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(b""), "wsgi.url_scheme": "http",
    "wsgi.errors": sys.stderr,
}
statuses = []
body = b"".join(application(environ, lambda status, headers, exc=None: statuses.append(status)))
"""
    + IMPORTED_REPORT
    + """
print(json.dumps({"status": statuses[0], "body": body.decode(), "imported": imported}))
"""
)


def _fresh(script: str, env: dict[str, str]) -> dict[str, object]:
    forbidden = json.dumps([*HEAVY, *ADMIN_ONLY])
    optional = json.dumps(OPTIONAL)
    preamble = f"FORBIDDEN = {forbidden!r}\nOPTIONAL = {optional!r}\n"
    result = json.loads(last_line_of_fresh_run(preamble + script, env))
    assert isinstance(result, dict)
    return result


def test_a_management_command_starts_without_heavy_libraries_or_admin_screens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "persx.settings.dev")
    monkeypatch.setenv("PERSX_VAR_DIR", str(tmp_path))
    result = _fresh(COMMAND, dict(os.environ))
    # The check saw the commands the schedule runs (docs/operations.md, docs/monitoring.md)
    # and the admin's lazy screens (the measurement, health and studio menus).
    commands = result["commands"]
    assert isinstance(commands, list)
    assert {"persx_monitor", "persx_rollup", "persx_draft_batch"} <= set(commands)
    lazy_targets = result["lazy_targets"]
    assert isinstance(lazy_targets, list)
    assert {
        "persx.analytics.views.ReportDetailView",
        "persx.monitoring.views.HealthView",
        "persx.studio.views.CoverageView",
    } <= set(lazy_targets)
    assert result["imported"] == []  # after `manage.py help`
    assert result["imported_by_commands"] == []


def test_serving_a_page_imports_no_heavy_library_or_admin_screen(tmp_path: Path) -> None:
    from tests.web.conftest import variants
    from tests.web.live_site import prepare_site_database, site_env

    prepare_site_database(tmp_path)
    served = _fresh(SERVE_ONE_PAGE, site_env(tmp_path))
    assert served["status"] == "200 OK"
    body = served["body"]
    assert isinstance(body, str)
    assert "industry:saas" in {variant for _, variant in variants(body.encode())}
    assert served["imported"] == []


def _lazy_targets(patterns: list[Any]) -> Iterator[str]:
    for pattern in patterns:
        yield from _lazy_targets(getattr(pattern, "url_patterns", []))
        target = getattr(getattr(pattern, "callback", None), "lazy_target", None)
        if target:
            yield target


def test_every_lazy_admin_view_names_a_view_that_exists() -> None:
    targets = sorted(set(_lazy_targets(get_resolver().url_patterns)))
    assert len(targets) >= 25  # every screen of the PersX admin menus
    assert [t for t in targets if not callable(load_view(t))] == []


def test_a_misspelt_lazy_view_fails_on_its_first_request_naming_it(rf: Any) -> None:
    view = lazy_view("persx.studio.views.NoSuchView")
    assert view.__name__ == "NoSuchView"
    with pytest.raises(AttributeError, match="NoSuchView"):
        view(rf.get("/"))
    with pytest.raises(ValueError, match="dotted path"):
        lazy_view("CoverageView")
