"""Mixed traffic for `make loadtest` (run by loadtest/run.py; 127.0.0.1 only).

Visitors of the five industries browsing, visitors without a profile, start-form
submissions and event batches. Every page is checked for cross-talk (loadtest/checks.py);
every acknowledged event batch's ids are written out so the runner can check they are in
the database. Pacing: each simulated user makes ``LOADTEST_USER_RATE`` requests per second
(locust ``constant_throughput``), so the offered rate is users x that. Bounded: the run
stops itself after ``LOADTEST_MAX_REQUESTS`` requests (and locust's ``--run-time``).
"""

from __future__ import annotations

import os
import random
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, constant_throughput, events, task

from loadtest.checks import RunTally, cross_talk

INDUSTRIES = ("ecommerce", "healthcare", "saas", "financial-services", "travel")
PAGES = ("/", "/about/", "/contact/", "/blog/", "/test-ideas/", "/personas/")
EVENT_TYPES = ("cta_click", "blog_read", "engagement")
USER_RATE = float(os.environ.get("LOADTEST_USER_RATE", "1"))
MAX_REQUESTS = int(os.environ.get("LOADTEST_MAX_REQUESTS", "1000000"))
OUT = Path(os.environ.get("LOADTEST_OUT", "."))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GOAL = re.compile(r'name="goals" value="([^"]+)"')

tally = RunTally()
requests_made = 0


@events.request.add_listener
def _count(**_: Any) -> None:
    global requests_made
    requests_made += 1


@events.init.add_listener
def _bound(environment: Any, **_: Any) -> None:
    import gevent

    def watch() -> None:
        while requests_made < MAX_REQUESTS:
            gevent.sleep(0.5)
        if environment.runner is not None:
            environment.runner.quit()

    gevent.spawn(watch)


@events.quitting.add_listener
def _write_tally(**_: Any) -> None:
    tally.write(OUT / f"tally-{os.getpid()}.json")


class Visitor(FastHttpUser):
    abstract = True
    wait_time = constant_throughput(USER_RATE)
    industry: str | None = None

    def check_page(self, path: str, name: str | None = None) -> None:
        with self.client.get(path, name=name or path, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return
            problems = cross_talk(response.text or "", self.industry)
            tally.pages_checked += 1
            if problems:
                tally.note_cross_talk(problems)
                response.failure("cross-talk: " + "; ".join(problems))


def accept_analytics(user: FastHttpUser) -> None:
    """What the consent banner does when the visitor accepts (the demo asks first)."""
    page = user.client.get("/privacy/", name="/privacy/")
    token = CSRF.search(page.text or "")
    if token is None:
        return
    user.client.post(
        "/privacy/consent/",
        data={"csrfmiddlewaretoken": token.group(1), "choice": "granted", "next": "/"},
        headers={"Referer": f"{user.host}/privacy/"},
        allow_redirects=False,
        name="/privacy/consent/",
    )


class ProfiledVisitor(Visitor):
    """Chose an industry (``?industry=``) and browses."""

    weight = 10

    def on_start(self) -> None:
        self.industry = random.choice(INDUSTRIES)
        accept_analytics(self)
        self.check_page(f"/?industry={self.industry}", name="/?industry=")

    @task
    def browse(self) -> None:
        self.check_page(random.choice(PAGES))


class AnonymousVisitor(Visitor):
    weight = 3

    @task
    def browse(self) -> None:
        self.check_page(random.choice(PAGES))


class StartFormVisitor(Visitor):
    """A new visitor each time: opens the start form, submits it, lands on /contact/."""

    weight = 1
    wait_time = between(1.5 / USER_RATE, 2.5 / USER_RATE)  # three requests per round

    @task
    def submit(self) -> None:
        self.client.cookiejar.clear()
        self.industry = None
        form = self.client.get("/start/", name="/start/")
        token, goal = CSRF.search(form.text or ""), GOAL.search(form.text or "")
        if form.status_code != 200 or token is None or goal is None:
            return
        industry = random.choice(INDUSTRIES)
        with self.client.post(
            "/start/",
            data={
                "csrfmiddlewaretoken": token.group(1),
                "industry": industry,
                "goals": goal.group(1),
                "next": "/contact/",
            },
            headers={"Referer": f"{self.host}/start/"},
            allow_redirects=False,
            name="/start/ (submit)",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"start form answered {response.status_code}")
                return
        self.industry = industry
        self.check_page("/contact/", name="/contact/ (after start form)")


class EventSender(Visitor):
    """A profiled visitor's tracker: batches of 10 events; a refused batch (503 +
    Retry-After) is sent again with the same ids, as tracker.js does."""

    weight = 3

    def on_start(self) -> None:
        self.industry = random.choice(INDUSTRIES)
        accept_analytics(self)
        self.check_page(f"/?industry={self.industry}", name="/?industry=")
        self.pending: list[dict[str, Any]] | None = None

    @task
    def send(self) -> None:
        batch = self.pending or [
            {
                "event_id": str(uuid.uuid4()),
                "type": random.choice(EVENT_TYPES),
                "occurred_at": datetime.now(UTC).isoformat(),
                "page": "/contact/",
            }
            for _ in range(10)
        ]
        with self.client.post(
            "/api/events", json={"events": batch}, name="/api/events", catch_response=True
        ) as response:
            if response.status_code == 200:
                self.pending = None
                answer = response.json()
                if answer.get("declined"):  # not stored, and the answer says so
                    response.failure(f"events declined: {answer}")
                    return
                tally.batches_acknowledged += 1
                tally.acknowledged_ids.extend(e["event_id"] for e in batch)
            elif response.status_code == 503 and response.headers.get("Retry-After"):
                self.pending = batch  # refused whole: nothing stored, try again later
                tally.batches_refused += 1
                response.success()
            else:
                self.pending = batch
                response.failure(f"events answered {response.status_code}")
