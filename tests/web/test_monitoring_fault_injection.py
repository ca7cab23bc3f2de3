"""Fault injection against a real server: one industry's variants fail while simulated
traffic runs → the error-rate and personalization-rate alerts fire exactly once within two
``persx_monitor`` passes, the notifications reach a local SMTP sink and a local webhook;
after the fault is removed each incident resolves, once.

Everything is real: gunicorn (2 workers) on a throwaway SQLite database, ``simulate_traffic
--url`` over HTTP, ``manage.py persx_monitor`` as a process, an aiosmtpd SMTP server and an
HTTP webhook receiver started here. The fault switch is ``tests/web/fault_wsgi.py``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from harness.site_process import free_port
from tests.web.live_site import LiveSite, gunicorn_site, manage
from tests.web.monitoring_support import webhook_receiver

pytestmark = [pytest.mark.slow, pytest.mark.own_server]

FAULTY = "travel"
RULES = ("error-rate", "personalization-rate")
RESOLVE_DEADLINE_S = 600


class Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def query(site_db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(site_db, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def wait_for(condition: Any, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.3)


def traffic(site: LiveSite, industries: str, visitors: int, seed: int) -> None:
    manage(
        site.env,
        "simulate_traffic",
        "--url",
        site.url,
        "--visitors",
        str(visitors),
        "--industries",
        industries,
        "--seed",
        str(seed),
    )


def monitor(site: LiveSite) -> str:
    return manage(site.env, "persx_monitor")


def test_an_injected_fault_fires_once_notifies_and_resolves_once(
    tmp_path: Path, smtp_sink: tuple[Sink, int]
) -> None:
    sink, smtp_port = smtp_sink
    fault = tmp_path / "fault"
    var = tmp_path / "var"
    var.mkdir()
    db = var / "persx.sqlite3"
    with (
        webhook_receiver() as hook,
        gunicorn_site(
            var,
            app="tests.web.fault_wsgi:application",
            PERSX_FAULT_FILE=str(fault),
            PERSX_ALERT_EMAILS="oncall@example.com",
            PERSX_ALERT_WEBHOOK_URL=hook.url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            WAGTAILADMIN_BASE_URL="http://persx.example",
        ) as site,
    ):
        # Short windows so the test can see the fault leave the window; small samples.
        query(
            db,
            "UPDATE persx_monitoring_alertrule SET enabled = (key IN (?, ?)), "
            "window_minutes = 2, min_sample = 20, for_minutes = 0",
            *RULES,
        )
        fault.write_text(FAULTY)
        traffic(site, f"{FAULTY}=1,saas=1", 40, seed=1)
        wait_for(
            lambda: (
                query(db, "SELECT COUNT(*) FROM persx_events_event WHERE reason = 'error'")[0][0]
                >= 20
            ),
            "error decisions of the faulty industry in the events table",
        )
        errors_by_industry = dict(
            query(
                db,
                "SELECT industry, COUNT(*) FROM persx_events_event WHERE reason = 'error' "
                "GROUP BY industry",
            )
        )
        assert set(errors_by_industry) == {FAULTY}

        first, second = monitor(site), monitor(site)
        opened = [line for line in (first + second).splitlines() if line.startswith("OPENED")]
        assert sorted(line.split()[1].rstrip(":") for line in opened) == sorted(RULES)
        incidents = query(db, "SELECT affected FROM persx_monitoring_incident")
        assert len(incidents) == 2
        assert all(f'"{FAULTY}"' in affected for (affected,) in incidents)
        assert all('"saas"' not in affected for (affected,) in incidents)

        subjects = sorted(m["Subject"] for m in sink.messages)
        assert subjects == [
            "[PersX] Decision error rate above 0.5%",
            "[PersX] Personalization rate below 70%",
        ]
        assert all("http://persx.example/cms/health/" in m.get_payload() for m in sink.messages)
        assert sorted(h["incident"]["rule"] for h in hook.received) == sorted(RULES)

        # The fault is removed; healthy traffic continues until the windows hold only it.
        fault.unlink()
        deadline = time.monotonic() + RESOLVE_DEADLINE_S
        seed = 2
        while query(db, "SELECT COUNT(*) FROM persx_monitoring_incident WHERE resolved_at IS NULL")[
            0
        ][0]:
            if time.monotonic() > deadline:
                pytest.fail("the incidents did not resolve after the fault was removed")
            traffic(site, f"{FAULTY}=1", 15, seed=seed)
            seed += 1
            monitor(site)
        monitor(site)  # one more pass: nothing fires again, nothing resolves twice

        assert query(db, "SELECT COUNT(*) FROM persx_monitoring_incident")[0][0] == 2
        kinds = query(
            db,
            "SELECT channel, kind, COUNT(*) FROM persx_monitoring_notification "
            "WHERE delivered_at IS NOT NULL GROUP BY channel, kind ORDER BY channel, kind",
        )
        assert kinds == [
            ("email", "fired", 2),
            ("email", "resolved", 2),
            ("webhook", "fired", 2),
            ("webhook", "resolved", 2),
        ]
        assert len([m for m in sink.messages if m["Subject"].startswith("[PersX] Resolved")]) == 2
        assert sorted(h["incident"]["kind"] for h in hook.received) == [
            "fired",
            "fired",
            "resolved",
            "resolved",
        ]
