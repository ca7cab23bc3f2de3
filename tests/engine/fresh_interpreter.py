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


def last_line_of_fresh_run(script: str, env: dict[str, str]) -> str:
    """Run ``script`` in a fresh interpreter at the repository root with ``env`` (the
    repository on its path); the last line it printed. A failed run fails the test with
    the tail of its standard error."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,  # generous: a busy machine; only a hung start reaches it
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]
