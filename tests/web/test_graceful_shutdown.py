"""SIGTERM loses no exposure: a gunicorn worker writes its in-memory queue on the way out.

The server runs with the writer's background thread off, so page views stay queued in
the workers until something flushes them: before SIGTERM the table is empty (they really
were only in memory), after it every page view and exposure is there.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.web.conftest import variants
from tests.web.live_site import gunicorn_site

pytestmark = [pytest.mark.slow, pytest.mark.own_server]
PAGES = 24
SHUTDOWN_TIMEOUT_S = 120


def _events(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT type, COUNT(*) FROM persx_events_event GROUP BY type")
        return dict(rows.fetchall())


def _visit(url: str) -> tuple[int, int]:
    """(status, personalizable blocks on the page). A new visitor each time: ?industry=
    gives a fresh profile, so every page view is measured."""
    with urllib.request.urlopen(url, timeout=60) as response:
        blocks = [testid for testid, _ in variants(response.read()) if testid != "contact-reasons"]
        return int(response.status), len(blocks)


def test_sigterm_writes_every_queued_exposure(tmp_path: Path) -> None:
    var = tmp_path / "var"
    with gunicorn_site(var, workers=2, PERSX_EVENTS_WRITER_THREAD="off") as site:
        db = var / "persx.sqlite3"
        before = _events(db)
        with ThreadPoolExecutor(max_workers=6) as pool:
            visits = list(pool.map(_visit, [site.url + "/contact/?industry=saas"] * PAGES))
        assert {status for status, _ in visits} == {200}
        blocks = {count for _, count in visits}
        assert len(blocks) == 1
        assert blocks.pop() >= 3
        queued = _events(db)
        assert queued.get("page_view", 0) == before.get("page_view", 0)  # only in memory
        os.kill(site.pid, signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
        after = _events(db)
        while after.get("page_view", 0) - before.get("page_view", 0) < PAGES:
            assert time.monotonic() < deadline, f"only {after} after SIGTERM"
            time.sleep(0.2)
            after = _events(db)
        log = site.log.read_text()
    written = after.get("page_view", 0) - before.get("page_view", 0)
    exposures = after.get("exposure", 0) - before.get("exposure", 0)
    assert written == PAGES  # 0 lost
    assert exposures == PAGES * visits[0][1]  # one per block of every page
    assert "queued exposures on exit" in log
