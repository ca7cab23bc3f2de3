"""Issue 15 #2: `make simulate` stopped at about 80 of 400 visitors with "429 too many profile
changes from your network": every simulated visitor came from 127.0.0.1, so the whole run
counted against one address's limits. Each simulated visitor now has its own client
address (persx.demo.simulated_browser.visitor_address), so the run completes with the limits a
real deployment has, and those limits still stop one address that rotates visitor ids."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from persx.demo import simulated_browser, simulated_visitor, simulation, traffic_plan
from persx.events import exposure_writer
from persx.experiments.repository import invalidate_experiments
from persx.profiles.models import VisitorProfileRecord
from persx.settings import base as deployment

# The limits a deployment has (their one definition: persx/settings/base.py).
DEFAULT_WRITES_PER_ADDRESS = int(deployment.PERSX["PROFILE_WRITES_PER_ADDRESS_PER_MINUTE"])
DEFAULT_BATCHES_PER_ADDRESS = int(deployment.PERSX["EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE"])
DEFAULT_BATCHES_PER_WINDOW = int(deployment.PERSX["EVENTS_RATE_LIMIT_PER_MINUTE"])

pytestmark = pytest.mark.django_db

# What `make run` / `make simulate` get (persx/settings/dev.py keeps base.py's limits); the
# test settings switch the per-address limits off, so they are set back here.
DEMO_LIMITS = {
    "PROFILE_WRITES_PER_ADDRESS_PER_MINUTE": DEFAULT_WRITES_PER_ADDRESS,
    "EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": DEFAULT_BATCHES_PER_ADDRESS,
    "EVENTS_RATE_LIMIT_PER_MINUTE": DEFAULT_BATCHES_PER_WINDOW,
}


@pytest.fixture(autouse=True)
def demo_limits() -> Iterator[None]:
    cache.clear()
    exposure_writer.writer().discard_pending()
    invalidate_experiments()
    overrides = {**DEMO_LIMITS, "DECISION_BUDGET_MS": 60_000.0}
    with override_settings(PERSX={**settings.PERSX, **overrides}):
        yield
    invalidate_experiments()
    cache.clear()


def test_the_demo_settings_have_the_limits_this_test_uses() -> None:
    dev = importlib.import_module("persx.settings.dev")
    assert {key: dev.PERSX[key] for key in DEMO_LIMITS} == DEMO_LIMITS
    assert all(limit > 0 for limit in DEMO_LIMITS.values())


def test_a_simulation_over_one_address_budget_completes_with_the_demo_limits() -> None:
    # 300 visitors: about half (150, standard deviation ~9) set their profile with PUT
    # /api/personalization (a durable write), more than one address may make in any two
    # minutes; from one address the run stopped with 429 (it did before each visitor had
    # an address of its own).
    visitors = 300
    before = VisitorProfileRecord.objects.count()
    plan = traffic_plan.Plan(
        visitors=visitors,
        industries={"saas": 1.0, "healthcare": 1.0, "travel": 1.0},
        lifts=traffic_plan.parse_lifts("0.3"),
        baselines=traffic_plan.parse_baselines("0.08"),
        seed=15,
    )
    result = simulation.run(plan)
    assert result.visitors == visitors
    writes = VisitorProfileRecord.objects.count() - before
    assert writes > 2 * DEFAULT_WRITES_PER_ADDRESS  # more than one address may write in 2 min

    # The limit is on, not off: one address rotating visitor ids is still refused.
    codes = [
        Client(REMOTE_ADDR="192.0.2.10")
        .put("/api/personalization", json.dumps({"industry": "saas"}), "application/json")
        .status_code
        for _ in range(2 * DEFAULT_WRITES_PER_ADDRESS + 1)
    ]
    assert 429 in codes


def test_visitor_addresses_are_distinct_and_from_the_benchmark_range() -> None:
    addresses = [simulated_browser.visitor_address(i) for i in range(5_000)]
    assert len(set(addresses)) == 5_000
    assert all(a.startswith(("198.18.", "198.19.")) for a in addresses)


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in site: notes each request's X-Forwarded-For; /busy answers 429."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("X-Forwarded-For", ""))
        busy = self.path == "/busy"
        body = b'{"message": "too many profile changes from your network"}' if busy else b"{}"
        self.send_response(429 if busy else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_against_a_running_site_each_visitor_sends_its_address_and_a_429_says_why() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        first = simulated_browser.HttpBrowser(base, simulated_browser.visitor_address(0))
        second = simulated_browser.HttpBrowser(base, simulated_browser.visitor_address(1))
        assert first.get("/").status == 200
        assert second.get("/").status == 200
        assert _Recorder.seen == [
            simulated_browser.visitor_address(0),
            simulated_browser.visitor_address(1),
        ]
        with pytest.raises(simulated_visitor.SimulationError) as refused:
            simulated_visitor._expect(first.get("/busy"), "/busy")
    finally:
        server.shutdown()
        server.server_close()
    message = str(refused.value)
    assert "answered 429" in message
    assert "PERSX_TRUSTED_PROXY_HEADER=HTTP_X_FORWARDED_FOR" in message
