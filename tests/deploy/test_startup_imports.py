"""Starting a process costs no heavy optional library (issue 15: every management command
spent ~5 s of CPU starting, 1.5 s of it the LLM SDK and 1 s scipy, for a 0.1 s pass).

A fresh interpreter with the settings a user gets sets Django up, loads every PersX
management command and the whole URL configuration (every view module, the admin's hooks),
and reports which heavy libraries it imported: none of them may be among them. They are
imported where they are used (persx/generation/anthropic_provider.py when a provider is
made, the statistics' scipy calls, persx/inference/training.py for scikit-learn).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.fresh_interpreter import run_in_fresh_interpreters

HEAVY = ("anthropic", "scipy", "sklearn", "pandas", "matplotlib", "playwright", "locust")

SCRIPT = """
import json, sys
import django

django.setup()
from django.core.management import get_commands, load_command_class
from django.urls import get_resolver

loaded = []
for name, app in sorted(get_commands().items()):
    if app.startswith("persx"):
        load_command_class(app, name)
        loaded.append(name)
get_resolver().url_patterns  # imports persx.urls: every view, Wagtail's admin hooks
heavy = json.load(sys.stdin)
print(json.dumps({
    "commands": loaded,
    "heavy": sorted(m for m in heavy if m in sys.modules),
}))
"""


def test_commands_and_urls_load_without_heavy_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "persx.settings.dev")
    monkeypatch.setenv("PERSX_VAR_DIR", str(tmp_path))
    (result,) = run_in_fresh_interpreters(SCRIPT, list(HEAVY), hash_seeds=("0",))
    assert isinstance(result, dict)
    # The check saw the commands the schedule runs (docs/operations.md, docs/monitoring.md).
    assert {"persx_monitor", "persx_rollup", "persx_draft_batch"} <= set(result["commands"])
    assert result["heavy"] == []
