"""Lean workers (deploy/gunicorn.conf.py, bench/worker_memory.py).

- A worker's start and its first page import neither the LLM SDK nor scipy nor
  scikit-learn: a fresh interpreter loads ``persx.wsgi`` as the preloading master does
  (the application, then the whole URL configuration), serves a personalized page through
  the WSGI application and lists what it imported. The same for a management command.
- With the application loaded before fork (the shipped default), each of 2 real gunicorn
  workers still writes every exposure of the pages it served: the writer's queue and thread
  are the worker's own, not the master's.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.engine.fresh_interpreter import last_line_of_fresh_run
from tests.web.conftest import variants
from tests.web.live_site import gunicorn_site, prepare_site_database, site_env

pytestmark = [pytest.mark.own_server]

HEAVY = ("anthropic", "scipy", "sklearn")
WAIT_S = 120

SERVE_ONE_PAGE = """
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
print(json.dumps({
    "status": statuses[0], "body": body.decode(),
    "imported": [name for name in sys.modules if name.split(".")[0] in HEAVY],
}))
"""

MANAGEMENT_COMMAND = """
import json, runpy, sys
sys.argv = ["manage.py", "help"]
runpy.run_path("manage.py", run_name="__main__")
print(json.dumps([name for name in sys.modules if name.split(".")[0] in HEAVY]))
"""


def _fresh(script: str, env: dict[str, str]) -> str:
    return last_line_of_fresh_run(f"HEAVY = {HEAVY!r}\n{script}", env)


def test_a_worker_serves_a_personalized_page_without_the_heavy_libraries(
    tmp_path: Path,
) -> None:
    prepare_site_database(tmp_path)
    served = json.loads(_fresh(SERVE_ONE_PAGE, site_env(tmp_path)))
    assert served["status"] == "200 OK"
    assert "industry:saas" in {variant for _, variant in variants(served["body"].encode())}
    assert served["imported"] == []


def test_a_management_command_starts_without_the_heavy_libraries(tmp_path: Path) -> None:
    imported = json.loads(_fresh(MANAGEMENT_COMMAND, site_env(tmp_path)))
    assert imported == []


def _event_counts(db: Path, page: str) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute(
            "SELECT type, COUNT(*) FROM persx_events_event WHERE page = ? GROUP BY type", (page,)
        )
        return dict(rows.fetchall())


@pytest.mark.slow
def test_preloaded_workers_each_write_the_exposures_of_their_pages(tmp_path: Path) -> None:
    page, pages = "/contact/", 24
    with gunicorn_site(
        tmp_path,
        workers=2,
        PERSX_ACCESS_LOG="1",
        GUNICORN_CMD_ARGS="--access-logformat 'served pid=%(p)s %(U)s %(s)s'",
    ) as site:
        log = site.log.read_text(errors="replace")
        assert "application loaded for the workers" in log  # preloaded in the master
        db = Path(site.env["PERSX_VAR_DIR"]) / "persx.sqlite3"

        def view(_: int) -> int:
            with urllib.request.urlopen(f"{site.url}{page}?industry=saas", timeout=60) as r:
                assert r.status == 200
                return len([b for b in variants(r.read()) if b[0] != "contact-reasons"])

        with ThreadPoolExecutor(max_workers=6) as pool:
            blocks = set(pool.map(view, range(pages)))
        assert len(blocks) == 1
        assert blocks != {0}
        per_page = blocks.pop()
        deadline = time.monotonic() + WAIT_S
        counts = _event_counts(db, page)
        while counts.get("page_view", 0) < pages or counts.get("exposure", 0) < pages * per_page:
            assert time.monotonic() < deadline, f"only {counts} written of {pages} page views"
            time.sleep(0.1)
            counts = _event_counts(db, page)
        assert counts == {"page_view": pages, "exposure": pages * per_page}
        served_by = {
            line.split("pid=")[1].split()[0].strip("<>")
            for line in site.log.read_text(errors="replace").splitlines()
            if "served pid=" in line and f" {page} " in line
        }
        assert len(served_by) == 2, f"every page went to workers {served_by}"
        assert str(site.pid) not in served_by
