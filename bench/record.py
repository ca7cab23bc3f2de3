"""Every `make bench` run is kept: its output, with the commit and the machine's load.

``recorded_run()`` copies everything the benchmarks print into
``bench/results/<UTC time>-<commit>.txt`` (``PERSX_BENCH_RESULTS`` names another folder),
headed by the commit (and whether the tree had uncommitted changes), the machine's cores
and its load average when the run started, and closed by the load when it ended. Docs and
notes quote figures from these files only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parent.parent


class _Tee:
    """A text stream that writes to the terminal and to the record."""

    def __init__(self, terminal: TextIO, record: TextIO) -> None:
        self.terminal = terminal
        self.record = record

    def write(self, text: str) -> int:
        self.record.write(text)
        return self.terminal.write(text)

    def flush(self) -> None:
        self.record.flush()
        self.terminal.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self.terminal, name)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def header(argv: list[str]) -> str:
    commit = _git("rev-parse", "HEAD") or "unknown"
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain") else ""
    return (
        f"# make bench: {' '.join(argv) or 'every figure'}\n"
        f"# started: {datetime.now(UTC).isoformat(timespec='seconds')}\n"
        f"# commit: {commit}{dirty}\n"
        f"# load at start: {load_average()}\n"
    )


@contextlib.contextmanager
def recorded_run(argv: list[str]) -> Iterator[Path]:
    folder = Path(os.environ.get("PERSX_BENCH_RESULTS", ROOT / "bench" / "results"))
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{(_git('rev-parse', '--short', 'HEAD') or 'unknown')}.txt"
    with path.open("w", encoding="utf-8") as record:
        record.write(header(argv))
        terminal = sys.stdout
        sys.stdout = _Tee(terminal, record)
        try:
            yield path
        finally:
            sys.stdout = terminal
            record.write(f"\n# load at end: {load_average()}\n")
    print(f"Figures kept in {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
