"""The Prometheus rules file and the Grafana dashboard in deploy/ are valid and tested.

``promtool`` (Debian package ``prometheus``) checks the rules and runs their unit tests
(deploy/prometheus/tests.yml). Without promtool the tests skip with a loud message, except
under CI (``CI=true``), where a missing promtool is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana" / "persx-health.json"
MISSING = (
    "!!! promtool not found: the Prometheus rules are NOT checked. "
    "Install it with `apt-get install -y prometheus` (only the binary is needed)."
)


def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(MISSING, pytrace=False)
    pytest.skip(MISSING)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def test_promtool_check_rules() -> None:
    result = run("check", "rules", "persx-rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_of_the_rules() -> None:
    result = run("test", "rules", "tests.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_only_use_metrics_the_app_exports() -> None:
    from prometheus_client import REGISTRY

    from persx.observability import metrics  # noqa: F401 - registers the metrics

    exported = set()
    for family in REGISTRY.collect():
        exported |= {s.name for s in family.samples} | {family.name}
        exported |= {f"{family.name}_total", f"{family.name}_bucket", f"{family.name}_count"}
    lines = (PROMETHEUS / "persx-rules.yml").read_text().splitlines()
    rules = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\bpersx_[a-z_]+", rules))
    assert used, "no persx metric in the rules file"
    assert used <= exported, f"unknown metrics in the rules: {sorted(used - exported)}"


def test_the_grafana_dashboard_queries_exported_metrics() -> None:
    dashboard = json.loads(GRAFANA.read_text())
    assert dashboard["title"] == "PersX — personalization health"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 6
    assert all("persx" in e for e in exprs)
