"""Run a script in fresh Python processes (different hash seeds) to check determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_in_fresh_interpreters(
    script: str, payload: object, hash_seeds: Sequence[str] = ("0", "12345")
) -> list[object]:
    """Feed ``payload`` as JSON on stdin to ``script`` once per hash seed; the JSON outputs."""
    results = []
    for hash_seed in hash_seeds:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO_ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=REPO_ROOT,
        )
        results.append(json.loads(out.stdout))
    return results
