"""Correct with several worker processes: a real 2-worker gunicorn sharing one Redis.

One server for the module (``tests/web/live_site.py``), on its own SQLite database and on
the suite's Redis (so this runs in the PostgreSQL + Redis pass). Its access log names the
worker process of every request, so each test knows it reached both workers:

- snapshot invalidation: an experiment started and stopped from a third process (a
  ``manage.py`` command) reaches BOTH workers through the Redis generation counter; the
  snapshot TTL is an hour here, so nothing else can explain it;
- the rate limiter counts across workers: N batches accepted in all, then 429;
- the exposure writer of each worker writes every exposure it was handed, none twice.

Every wait is on a condition, bounded generously for a loaded machine.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from tests.web.conftest import variants
from tests.web.live_site import LiveSite, gunicorn_site, manage

pytestmark = [pytest.mark.slow, pytest.mark.redis]

RATE_LIMIT = 6
# Generous bounds, not expectations: invalidation takes ~1 s (the generation check interval).
WAIT_S = 90
EXPERIMENT = "multi-worker-check"
PAGE = "/contact/"
ACCESS_LINE = re.compile(r"^served pid=<?(\d+)>? (\S+) (\d{3})$")
_probes = iter(range(1, 1_000_000))
_probe_lock = threading.Lock()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    redis_url = settings.CACHES["default"]["LOCATION"]
    var = tmp_path_factory.mktemp("multi-worker")
    with gunicorn_site(
        var,
        workers=2,
        REDIS_URL=str(redis_url),
        # A snapshot is rebuilt only through the shared generation counter within the test.
        PERSX_CACHE_TTL_SECONDS="3600",
        PERSX_EVENTS_RATE_LIMIT_PER_ADDRESS=str(RATE_LIMIT),
        # Each test is its own client address (X-Forwarded-For from a "trusted proxy").
        PERSX_TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR",
        PERSX_ACCESS_LOG="1",
        GUNICORN_CMD_ARGS="--access-logformat 'served pid=%(p)s %(U)s?%(q)s %(s)s'",
    ) as live:
        yield live


def new_address() -> str:
    """A client address no other test (or earlier run against this Redis) has used."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2] or 1}"


def probe_id() -> str:
    with _probe_lock:
        return f"{uuid.uuid4().hex[:8]}-{next(_probes)}"


def served_by(site: LiveSite, probe: str) -> int:
    """The worker pid that answered the request carrying ``probe`` (from the access log)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for line in site.log.read_text(errors="replace").splitlines():
            found = ACCESS_LINE.match(line.strip().strip('"'))
            if found and f"probe={probe}" in found.group(2):
                return int(found.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no access log line for probe {probe}")


def get_page(site: LiveSite, path: str = PAGE) -> tuple[int, list[tuple[str, str]]]:
    """A new visitor (``?industry=saas``) views the page: (worker pid, its blocks)."""
    probe = probe_id()
    url = f"{site.url}{path}?industry=saas&probe={probe}"
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        blocks = [b for b in variants(response.read()) if b[0] != "contact-reasons"]
    return served_by(site, probe), blocks


def until_both_workers(
    site: LiveSite, wanted: Callable[[list[tuple[str, str]]], bool], what: str
) -> float:
    """Views the page until each of the 2 workers has served it as ``wanted``; seconds."""
    start = time.monotonic()
    satisfied: set[int] = set()
    seen: set[int] = set()
    while len(satisfied) < 2:
        assert time.monotonic() - start < WAIT_S, f"{what}: only workers {satisfied} of {seen}"
        with ThreadPoolExecutor(max_workers=4) as pool:
            for pid, blocks in pool.map(lambda _: get_page(site), range(4)):
                seen.add(pid)
                if wanted(blocks):
                    satisfied.add(pid)
    return time.monotonic() - start


def personalized(blocks: list[tuple[str, str]]) -> bool:
    return bool(blocks) and any(variant == "industry:saas" for _, variant in blocks)


def all_generic(blocks: list[tuple[str, str]]) -> bool:
    return bool(blocks) and all(variant == "generic" for _, variant in blocks)


def run_in_third_process(site: LiveSite, code: str) -> None:
    plain = {k: v for k, v in site.env.items() if k != "GUNICORN_CMD_ARGS"}
    manage(plain, "shell", "-c", code)


def test_an_experiment_started_and_stopped_elsewhere_reaches_both_workers(
    site: LiveSite,
) -> None:
    run_in_third_process(
        site,
        "from persx.experiments.services import create_experiment\n"
        f"create_experiment(key='{EXPERIMENT}', name='Multi-worker check', "
        "arms=[{'key': 'control', 'kind': 'generic', 'weight': 1.0}, "
        "{'key': 'personalized', 'kind': 'personalized', 'weight': 0.0}])",
    )
    # Both workers build their snapshot of running experiments (none is running yet).
    until_both_workers(site, personalized, "before the start")

    run_in_third_process(
        site,
        "from persx.experiments.services import start_experiment\n"
        f"start_experiment('{EXPERIMENT}')",
    )
    until_both_workers(site, all_generic, "after the start (every visitor in control)")

    run_in_third_process(
        site,
        f"from persx.experiments.services import stop_experiment\nstop_experiment('{EXPERIMENT}')",
    )
    until_both_workers(site, personalized, "after the stop")


def post_batch(site: LiveSite, address: str) -> tuple[int, int]:
    """One event batch from ``address``: (status, worker pid)."""
    probe = probe_id()
    now = datetime.now(UTC).isoformat()
    body = json.dumps(
        {
            "events": [
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "cta_click",
                    "occurred_at": now,
                    "page": "/",
                }
            ]
        }
    ).encode()
    request = urllib.request.Request(
        f"{site.url}/api/events?probe={probe}",
        data=body,
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = int(response.status)
    except urllib.error.HTTPError as refused:
        status = refused.code
    return status, served_by(site, probe)


def test_the_rate_limit_counts_across_both_workers(site: LiveSite) -> None:
    for _attempt in range(3):
        address = new_address()
        window = int(time.time() // 60)
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(
                pool.map(post_batch, [site] * 2 * RATE_LIMIT, [address] * 2 * RATE_LIMIT)
            )
        if int(time.time() // 60) != window:
            continue  # a minute boundary fell inside: counts restarted; try again
        accepted = [pid for status, pid in answers if status == 200]
        refused = [pid for status, pid in answers if status == 429]
        if len(set(accepted)) < 2:
            continue  # one worker took every accepted batch: not a cross-worker check
        assert len(accepted) == RATE_LIMIT, answers
        assert len(refused) == RATE_LIMIT, answers
        return
    pytest.fail("three attempts straddled a minute or reached one worker only")


def event_counts(db: Path, page: str) -> dict[str, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute(
            "SELECT type, COUNT(*) FROM persx_events_event WHERE page = ? GROUP BY type", (page,)
        )
        return dict(rows.fetchall())


def test_exposures_from_both_workers_are_all_written_once(site: LiveSite) -> None:
    db = Path(site.env["PERSX_VAR_DIR"]) / "persx.sqlite3"
    pages = 24
    # A page no other test here views: exposures the other tests' page views still have
    # queued cannot land in this count.
    page = "/"
    before = event_counts(db, page)
    with ThreadPoolExecutor(max_workers=6) as pool:
        views = list(pool.map(lambda _: get_page(site, page), range(pages)))
    workers = {pid for pid, _ in views}
    assert len(workers) == 2, f"all page views went to {workers}"
    blocks = {len(found) for _, found in views}
    assert len(blocks) == 1
    assert blocks != {0}
    per_page = blocks.pop()

    def written() -> dict[str, int]:
        now = event_counts(db, page)
        return {t: now.get(t, 0) - before.get(t, 0) for t in ("page_view", "exposure")}

    deadline = time.monotonic() + WAIT_S
    counts = written()
    while counts["page_view"] < pages or counts["exposure"] < pages * per_page:
        assert time.monotonic() < deadline, f"only {counts} written of {pages} page views"
        time.sleep(0.1)
        counts = written()
    assert counts == {"page_view": pages, "exposure": pages * per_page}
