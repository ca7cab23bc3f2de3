"""The ClickHouse event store: the write path, erasure, schema, retention, configuration.

Against the real ClickHouse engine in-process (chDB). The report numbers are held to the
relational store's by ``test_event_store_parity.py``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from persx.engine.deciding.decision import Decision, Reason, ServedBlock
from persx.events.event_row import EVENT_COLUMNS, VisitorColumns
from persx.events.exposure_writer import ExposureWriter, PageRender
from persx.events.models import Event
from persx.events.services import store_rows
from persx.eventstore.clickhouse_store import ClickHouseEventStore
from persx.eventstore.raw_rows import COLUMNS
from persx.eventstore.schema import retention_ttl, schema_statements
from persx.eventstore.selection import clickhouse_store, columnar_store
from tests.web.clickhouse_support import drop_schema

pytestmark = pytest.mark.django_db

CHDB_URL = "chdb://"


def with_store(**persx: Any) -> Any:
    return override_settings(PERSX={**settings.PERSX, **persx})


@pytest.fixture
def columnar() -> Iterator[ClickHouseEventStore]:
    store = clickhouse_store(CHDB_URL)
    drop_schema(store)
    store.create_schema(retention_months=None)
    with with_store(EVENT_STORE="clickhouse", CLICKHOUSE_URL=CHDB_URL):
        yield store
    drop_schema(store)


def stored(store: ClickHouseEventStore, visitor: str) -> list[tuple[Any, ...]]:
    return store.session.rows(
        f"SELECT type, value, consent FROM {store.table} FINAL "
        f"WHERE visitor_id = {{v:String}} ORDER BY occurred_at, type",
        {"v": visitor},
    )


def test_clickhouse_takes_the_writers_columns_in_their_order() -> None:
    assert COLUMNS == EVENT_COLUMNS


def test_posted_events_go_to_clickhouse_and_the_erasure_removes_them(
    columnar: ClickHouseEventStore,
) -> None:
    client = Client()
    profile = client.put(
        "/api/personalization", json.dumps({"industry": "travel"}), "application/json"
    )
    visitor = profile.json()["visitor_id"]
    now = datetime.now(UTC)
    events = [
        {"event_id": str(uuid.uuid4()), "type": "cta_click", "occurred_at": now.isoformat(),
         "page": "/contact/"},
        {"event_id": str(uuid.uuid4()), "type": "engagement", "page": "/contact/",
         "occurred_at": (now + timedelta(seconds=1)).isoformat(), "value": 12.5},
    ]  # fmt: skip
    posted = client.post("/api/events", json.dumps({"events": events}), "application/json")
    assert posted.status_code == 200, posted.content
    assert posted.json()["accepted"] == 2
    assert stored(columnar, visitor) == [
        ("cta_click", None, "unknown"),
        ("engagement", 12.5, "unknown"),
    ]
    assert not Event.objects.filter(visitor_id=visitor).exists()  # not in the relational log

    assert client.delete("/api/personalization").status_code == 200
    assert stored(columnar, visitor) == []


def test_the_exposure_writer_flushes_to_clickhouse(columnar: ClickHouseEventStore) -> None:
    writer = ExposureWriter(store=store_rows, background=False)
    served = [ServedBlock("hero", Decision("industry:saas", Reason.INDUSTRY_MATCH))]
    render = PageRender(
        VisitorColumns(visitor_id="writer-v1", industry="saas"), "/", timezone.now(), served
    )
    assert writer.submit(render)
    assert writer.flush() == 2  # a page view and an exposure
    assert [r[0] for r in stored(columnar, "writer-v1")] == ["exposure", "page_view"]
    assert Event.objects.count() == 0


def test_an_unreachable_clickhouse_answers_503_and_stores_nothing() -> None:
    with with_store(EVENT_STORE="clickhouse", CLICKHOUSE_URL="clickhouse://127.0.0.1:9/persx"):
        client = Client()
        client.put("/api/personalization", json.dumps({"industry": "travel"}), "application/json")
        event = {"event_id": str(uuid.uuid4()), "type": "cta_click", "page": "/",
                 "occurred_at": datetime.now(UTC).isoformat()}  # fmt: skip
        posted = client.post("/api/events", json.dumps({"events": [event]}), "application/json")
    assert posted.status_code == 503
    assert posted["Retry-After"]
    assert Event.objects.count() == 0


def test_retention_drops_months_older_than_the_setting(columnar: ClickHouseEventStore) -> None:
    columnar.session.command(f"DROP TABLE {columnar.table}")
    columnar.create_schema(retention_months=2)
    now = datetime.now(UTC)
    kept_month = now.replace(day=1) - timedelta(days=40)  # two months back at most: kept
    old = now.replace(day=1) - timedelta(days=100)  # three or more months back: dropped

    def row(visitor: str, when: datetime) -> list[Any]:
        values = dict.fromkeys(EVENT_COLUMNS, "") | {
            "event_id": uuid.uuid4(), "type": "page_view", "visitor_id": visitor,
            "occurred_at": when, "received_at": when, "consent": "granted", "value": None,
            "properties": "{}",
        }  # fmt: skip
        return [values[c] for c in EVENT_COLUMNS]

    columnar.append([row("old", old), row("kept", kept_month), row("now", now)])
    columnar.session.command(f"OPTIMIZE TABLE {columnar.table} FINAL")
    visitors = columnar.session.rows(f"SELECT visitor_id FROM {columnar.table} ORDER BY visitor_id")
    assert [v for (v,) in visitors] == ["kept", "now"]


def test_retention_keeps_every_month_when_unset() -> None:
    assert retention_ttl(None) == ""
    assert retention_ttl(13) == "TTL toStartOfMonth(occurred_at) + INTERVAL 14 MONTH DELETE"


def test_the_cluster_schema_replicates_shards_by_visitor_and_distributes() -> None:
    statements = schema_statements("persx", 13, cluster="main")
    text = "\n".join(statements)
    assert "ON CLUSTER 'main'" in statements[0]
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/persx/events_local'" in text
    assert "Distributed('main', persx, events_local, cityHash64(visitor_id))" in text
    with pytest.raises(ValueError, match="cluster"):
        schema_statements("persx", 13, cluster="main'; DROP")


def test_the_schema_command_creates_the_table_once_and_again(
    columnar: ClickHouseEventStore,
) -> None:
    columnar.session.command(f"DROP TABLE {columnar.table}")
    for _ in range(2):  # idempotent
        out = StringIO()
        call_command("persx_clickhouse_schema", stdout=out)
        assert "ClickHouse schema ready: persx.events" in out.getvalue()
    engine = columnar.session.rows(
        "SELECT engine, partition_key, sorting_key FROM system.tables "
        "WHERE database = 'persx' AND name = 'events'"
    )
    assert engine == [
        ("ReplacingMergeTree", "toYYYYMM(occurred_at)", "visitor_id, occurred_at, event_id")
    ]


def test_the_schema_command_prints_the_cluster_schema() -> None:
    out = StringIO()
    call_command("persx_clickhouse_schema", "--print", "--cluster", "main", stdout=out)
    assert "ENGINE = Distributed('main'" in out.getvalue()


def test_the_store_setting_is_checked() -> None:
    with with_store(EVENT_STORE="relational"):
        assert columnar_store() is None
    with (
        with_store(EVENT_STORE="columns"),
        pytest.raises(ImproperlyConfigured, match="EVENT_STORE"),
    ):
        columnar_store()
    with (
        with_store(EVENT_STORE="clickhouse", CLICKHOUSE_URL=""),
        pytest.raises(ImproperlyConfigured, match="CLICKHOUSE_URL"),
    ):
        columnar_store()
    with (
        with_store(EVENT_STORE="clickhouse", CLICKHOUSE_URL="mysql://x"),
        pytest.raises(ImproperlyConfigured, match="CLICKHOUSE_URL"),
    ):
        columnar_store()
