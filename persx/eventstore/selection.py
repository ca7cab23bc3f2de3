"""Which event store runs: ``PERSX['EVENT_STORE']`` (``relational`` or ``clickhouse``).

``relational`` (the default) keeps raw events in the site's database and reports on its
rollups. ``clickhouse`` sends raw events to ``PERSX['CLICKHOUSE_URL']`` and computes the
reports there: ``clickhouse://user:password@host:8123/persx`` or ``https://…`` for a
server or cluster (``clickhouse-connect``), ``chdb://`` or ``chdb:///var/lib/persx/chdb``
for ClickHouse in-process (chDB: tests, the bench, a single-process demo).
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from persx.config import config
from persx.eventstore.clickhouse_store import ClickHouseEventStore
from persx.eventstore.schema import DEFAULT_DATABASE
from persx.eventstore.sessions import InProcessSession, ServerSession, Session

RELATIONAL = "relational"
CLICKHOUSE = "clickhouse"
STORES = (RELATIONAL, CLICKHOUSE)

_lock = threading.Lock()
_stores: dict[str, ClickHouseEventStore] = {}


def session_for(url: str) -> tuple[Session, str]:
    """A session for ``url`` and the database it names (default ``persx``)."""
    parts = urlsplit(url)
    if parts.scheme == "chdb":
        return InProcessSession(parts.path or None), DEFAULT_DATABASE
    if parts.scheme not in ("clickhouse", "http", "https"):
        raise ImproperlyConfigured(
            f"PERSX['CLICKHOUSE_URL'] {url!r}: use clickhouse://, http(s):// or chdb://"
        )
    database = parts.path.strip("/") or DEFAULT_DATABASE
    return ServerSession(url), database


def clickhouse_store(url: str) -> ClickHouseEventStore:
    """The process's store for ``url`` (one client per process, made on first use)."""
    with _lock:
        store = _stores.get(url)
        if store is None:
            try:
                session, database = session_for(url)
            except ImproperlyConfigured:
                raise
            except Exception as exc:  # unreachable: retried and answered as a busy database
                raise OperationalError(f"ClickHouse at {urlsplit(url).hostname}: {exc}") from exc
            store = _stores[url] = ClickHouseEventStore(session, database)
        return store


def columnar_store() -> ClickHouseEventStore | None:
    """The ClickHouse store when configured; None on the relational store."""
    settings = config()
    if settings.event_store == RELATIONAL:
        return None
    if settings.event_store != CLICKHOUSE:
        raise ImproperlyConfigured(
            f"PERSX['EVENT_STORE'] is {settings.event_store!r}: one of {', '.join(STORES)}"
        )
    if not settings.clickhouse_url:
        raise ImproperlyConfigured(
            "PERSX['EVENT_STORE'] is clickhouse: set PERSX['CLICKHOUSE_URL']"
        )
    return clickhouse_store(settings.clickhouse_url)
