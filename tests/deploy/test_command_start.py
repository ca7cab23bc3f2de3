"""A management command's start (issue 18: <= 1 s of CPU; persx/startup/).

- ``manage.py`` pauses garbage collection while Django starts: the command itself runs with
  the collector on again and the start's objects frozen out of its collections.
- PersX's configs for Wagtail's images, documents, snippets and redirects apps
  (persx/startup/wagtail_apps.py) leave out Wagtail's v3 API and nothing else: a fresh
  interpreter started with them holds the same registrations (permission policies, form
  field overrides, comparison and display classes, reference index, signal receivers,
  snippet models, admin hooks) as one started with Wagtail's own configs, which is the
  oracle; and only the latter imports the v3 API. A Wagtail upgrade whose ``ready()``
  registers something new fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.fresh_interpreter import REPO_ROOT, last_line_of_fresh_run

WAGTAIL_CONFIGS = {
    "persx.startup.wagtail_apps.RedirectsWithoutApiConfig": "wagtail.contrib.redirects",
    "persx.startup.wagtail_apps.SnippetsWithoutApiConfig": "wagtail.snippets",
    "persx.startup.wagtail_apps.DocumentsWithoutApiConfig": "wagtail.documents",
    "persx.startup.wagtail_apps.ImagesWithoutApiConfig": "wagtail.images",
}

# Starts Django (with Wagtail's own configs when WAGTAIL_OWN is true) and prints what the
# apps' ready() registered, every class and function by its dotted name.
REGISTRATIONS = """
import json, sys, weakref
import django
from django.conf import settings

if WAGTAIL_OWN:
    settings.INSTALLED_APPS = [CONFIGS.get(a, a) for a in settings.INSTALLED_APPS]
django.setup()

from django.db.models import signals as model_signals
from wagtail import hooks, signals as wagtail_signals
from wagtail.admin.compare import comparison_class_registry
from wagtail.admin.forms.models import registry as form_field_overrides
from wagtail.admin.ui.fields import display_class_registry
from wagtail.models.reference_index import ReferenceIndex
from wagtail.permissions import policy_registry
from wagtail.snippets.models import SNIPPET_MODELS


def name(thing):
    meta = getattr(thing, "_meta", None)
    if meta is not None and hasattr(meta, "label"):
        return meta.label
    kind = thing if isinstance(thing, type) else type(thing)
    qualname = getattr(thing, "__qualname__", kind.__qualname__)
    return f"{getattr(thing, '__module__', kind.__module__)}.{qualname}"


def value(v):
    if isinstance(v, dict):
        return sorted((name(k), value(x)) for k, x in v.items())
    return name(v)


def registry(r):
    tables = ("values_by_exact_class", "values_by_class", "values_by_fk_related_model")
    return {t: value(getattr(r, t)) for t in tables if hasattr(r, t)}


def receivers(signal):
    out = []
    for entry in signal.receivers:
        ref = entry[1]
        target = ref() if isinstance(ref, weakref.ref) else ref
        out.append(name(target))
    return sorted(out)


hooks.search_for_hooks()
print(json.dumps({
    "permission_policies": registry(policy_registry),
    "form_field_overrides": registry(form_field_overrides),
    "comparison_classes": registry(comparison_class_registry),
    "display_classes": registry(display_class_registry),
    "reference_index": sorted(name(m) for m in ReferenceIndex.indexed_models),
    "reference_tracked": sorted(name(m) for m in ReferenceIndex.tracked_models),
    "snippet_models": sorted(name(m) for m in SNIPPET_MODELS),
    "hooks": {h: sorted(name(f) for f in fs) for h, fs in sorted(hooks._hooks.items())},
    "receivers": {
        s: receivers(getattr(wagtail_signals, s, None) or getattr(model_signals, s))
        for s in ("post_page_move", "page_slug_changed", "post_migrate", "post_save",
                  "post_delete", "pre_delete", "page_published", "page_unpublished")
    },
    "v3_api_imported": "wagtail.api.v3.api" in sys.modules,
}))
"""


def _registrations(wagtail_own: bool, env: dict[str, str]) -> dict[str, Any]:
    script = f"WAGTAIL_OWN = {wagtail_own}\nCONFIGS = {WAGTAIL_CONFIGS!r}\n{REGISTRATIONS}"
    result = json.loads(last_line_of_fresh_run(script, env))
    assert isinstance(result, dict)
    return result


@pytest.fixture
def dev_env(tmp_path: Path) -> dict[str, str]:
    settings_module = {"DJANGO_SETTINGS_MODULE": "persx.settings.dev"}
    return {**os.environ, **settings_module, "PERSX_VAR_DIR": str(tmp_path)}


def test_persx_wagtail_configs_register_what_wagtails_own_do_without_the_v3_api(
    dev_env: dict[str, str],
) -> None:
    from django.conf import settings

    assert set(WAGTAIL_CONFIGS) <= set(settings.INSTALLED_APPS)
    ours = _registrations(False, dev_env)
    wagtails = _registrations(True, dev_env)
    assert wagtails.pop("v3_api_imported") is True  # the oracle did build the API
    assert ours.pop("v3_api_imported") is False
    # Not vacuous: the registrations the configs make are there.
    assert "wagtailimages.Image" in ours["reference_index"]
    assert "wagtaildocs.Document" in ours["reference_index"]
    assert "persx_experiments.Experiment" in ours["snippet_models"]
    moved = ours["receivers"]["post_page_move"]
    assert any("autocreate_redirects_on_page_move" in r for r in moved)
    for key, value in wagtails.items():
        assert ours[key] == value, key


def test_a_command_runs_with_garbage_collection_on_and_the_start_frozen(
    dev_env: dict[str, str],
) -> None:
    report = "import gc, json; print(json.dumps([gc.isenabled(), gc.get_freeze_count()]))"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", report],
        cwd=REPO_ROOT,
        env={**dev_env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    enabled, frozen = json.loads(done.stdout.strip().splitlines()[-1])
    assert enabled is True
    # Django, Wagtail and PersX's modules, classes and functions: hundreds of thousands.
    assert frozen > 100_000
