"""Ingestion throughput through ``POST /api/events`` vs a bare ``bulk_create`` of the same rows.

Called from ``bench/run.py`` after Django is set up and the database migrated. The HTTP side
goes through the whole middleware stack with the Django test client (in-process), batches of
500 unique events from one profiled visitor; every batch must answer 200 with 500 accepted,
and the rows are counted afterwards (0 lost).

Baselines, measured in the same run: ``Event.objects.bulk_create`` of the same events (fresh
ids) in one transaction per batch, and the endpoint's own insert alone
(``persx.events.services.insert_rows`` in a durable transaction: no HTTP, no validation),
which is the floor the database sets. Each starts from the same table (the previous one's
rows deleted): inserts slow down as the random-UUID unique index grows, so all three are
measured over the same 0 → 20,000 rows.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

BATCHES = 40
BATCH_SIZE = 500
TYPES = ("cta_click", "engagement", "blog_read", "test_idea_click", "page_view")


def _events(run: str, batch: int, now: datetime) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for i in range(BATCH_SIZE):
        kind = TYPES[i % len(TYPES)]
        event: dict[str, Any] = {
            "event_id": str(uuid.uuid4()),
            "type": kind,
            "occurred_at": (now - timedelta(seconds=i)).isoformat(),
            "page": f"/bench/{run}/{batch}",
        }
        if kind == "engagement":
            event["value"] = 12.5
        if kind == "cta_click":
            event["properties"] = {"block": "hero", "variant": "industry:saas"}
        events.append(event)
    return events


def bench_ingestion() -> None:
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings

    from persx.config import config
    from persx.events.durable_write import write_durably
    from persx.events.event_row import EventRow, VisitorColumns
    from persx.events.models import Event
    from persx.events.services import insert_rows
    from tests.web.conftest import profile_cookie

    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    batches = [_events(run, b, now) for b in range(BATCHES)]
    bodies = [json.dumps({"events": events}).encode() for events in batches]
    warmup = json.dumps({"events": _events(run, -1, now)}).encode()
    visitor = "b" * 32

    client = Client()
    client.cookies[config().profile_cookie_name] = profile_cookie("saas", visitor_id=visitor)
    unlimited = {**settings.PERSX, "EVENTS_RATE_LIMIT_PER_MINUTE": 1_000_000}

    def post(body: bytes) -> int:
        response = client.post("/api/events", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        accepted: int = response.json()["accepted"]
        return accepted

    def orm_rows(events: list[dict[str, Any]], received: datetime) -> list[Event]:
        return [
            Event(
                event_id=uuid.uuid4(),
                type=e["type"],
                visitor_id=visitor,
                occurred_at=datetime.fromisoformat(e["occurred_at"]),
                received_at=received,
                page=e["page"].replace("/bench/", "/bench-orm/"),
                industry="saas",
                value=e.get("value"),
                properties=e.get("properties", {}),
            )
            for e in events
        ]

    who = VisitorColumns(visitor_id=visitor, industry="saas")

    def floor_rows(events: list[dict[str, Any]], received: datetime) -> list[EventRow]:
        return [
            EventRow(
                event_id=uuid.uuid4(),
                type=e["type"],
                occurred_at=datetime.fromisoformat(e["occurred_at"]),
                received_at=received,
                page=e["page"].replace("/bench/", "/bench-floor/"),
                visitor=who,
                value=e.get("value"),
                properties=e.get("properties", {}),
            )
            for e in events
        ]

    def clear() -> None:
        for prefix in ("/bench/", "/bench-orm/", "/bench-floor/"):
            Event.objects.filter(page__startswith=f"{prefix}{run}/").delete()

    total = BATCHES * BATCH_SIZE
    with override_settings(PERSX=unlimited):
        post(warmup)
        clear()
        start = time.perf_counter()
        accepted = sum(post(body) for body in bodies)
        t_api = time.perf_counter() - start
    api_pages = [f"/bench/{run}/{b}" for b in range(BATCHES)]
    lost = total - Event.objects.filter(page__in=api_pages).count()
    clear()

    start = time.perf_counter()
    for events in batches:
        rows = orm_rows(events, datetime.now(UTC))
        with transaction.atomic():
            Event.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    t_orm = time.perf_counter() - start
    clear()

    start = time.perf_counter()
    for events in batches:
        plain = floor_rows(events, datetime.now(UTC))
        write_durably(lambda plain=plain: insert_rows(plain))  # type: ignore[misc]
    t_floor = time.perf_counter() - start
    clear()

    api_rate, orm_rate, floor_rate = total / t_api, total / t_orm, total / t_floor
    print(f"\n== Event ingestion: {BATCHES} batches x {BATCH_SIZE} events, one visitor ==")
    print(
        f"  POST /api/events (test client, full stack): {api_rate:10,.0f} events/s"
        f"   ({t_api * 1000 / BATCHES:5.1f} ms/batch; goal >= 20,000 events/s)"
    )
    print(
        f"  Event.objects.bulk_create, same events    : {orm_rate:10,.0f} events/s"
        f"   (baseline; API / bulk_create = {api_rate / orm_rate:4.2f})"
    )
    print(
        f"  the endpoint's insert alone (DB floor)    : {floor_rate:10,.0f} events/s"
        f"   (API / floor = {api_rate / floor_rate:4.2f})"
    )
    print(f"  accepted {accepted:,} of {total:,}; rows stored {total - lost:,}; lost {lost}")
