"""Helpers for the monitoring tests: page renders written straight into the events table,
and a local webhook receiver (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from persx.events.services import EventRow, VisitorColumns, store_rows

BLOCKS = ("hero", "feature_grid", "cta")


def render_rows(
    at: datetime, industry: str, reasons: tuple[str, ...], visitor: str | None = None
) -> list[EventRow]:
    """One page render of a profiled visitor: a page_view and one exposure per block."""
    who = VisitorColumns(visitor or uuid.uuid4().hex, industry, "", "granted")
    rows = [EventRow(uuid.uuid4(), "page_view", at, at, "/", who)]
    for block, reason in zip(BLOCKS, reasons, strict=False):
        personal = reason in {"industry_match", "persona_match"}
        rows.append(
            EventRow(
                uuid.uuid4(),
                "exposure",
                at,
                at,
                "/",
                who,
                block=block,
                variant=f"industry:{industry}" if personal else "generic",
                reason=reason,
            )
        )
    return rows


def write_traffic(
    end: datetime,
    industry: str,
    views: int,
    *,
    personalized_share: float = 1.0,
    error_share: float = 0.0,
    spread: timedelta = timedelta(minutes=50),
) -> None:
    """``views`` page renders spread evenly over ``spread`` before ``end``.

    A personalized view shows 3 personalized blocks; an unpersonalized one 3 generic blocks
    (``variant_missing``). ``error_share`` of the views have their first block fail.
    """
    rows: list[EventRow] = []
    personalized = round(views * personalized_share)
    errors = round(views * error_share)
    for i in range(views):
        at = end - spread + spread * (i + 0.5) / views
        base = "industry_match" if i < personalized else "variant_missing"
        first = "error" if i < errors else base
        rows += render_rows(at, industry, (first, base, base))
    store_rows(rows)


@dataclass
class WebhookReceiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A Slack-compatible webhook on a free local port; ``fail_next`` answers 500."""
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            receiver.received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
