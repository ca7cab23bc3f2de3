"""The two ways to reach ClickHouse, behind one small interface (:class:`Session`).

- :class:`ServerSession`: the official ``clickhouse-connect`` client over HTTP(S), to one
  server or a cluster (``clickhouse://user:password@host:8123/persx``,
  ``https://...``).
- :class:`InProcessSession`: chDB (the ``chdb-core`` package: the ClickHouse engine as a
  Python library) for tests and the bench (``chdb://`` in memory, ``chdb:///path`` on
  disk). ``clickhouse-connect`` only speaks ClickHouse's HTTP and native protocols, which
  chDB does not serve, so this adapter runs the same SQL text through chDB's own query
  call, with the same server-side parameters.

Both take inserts with ``async_insert = 1, wait_for_async_insert = 1``: the server buffers
rows from many small inserts into one part, and answers only once that part is written
(see ``docs/scaling.md`` for what that promises).
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

ASYNC_INSERT = {"async_insert": 1, "wait_for_async_insert": 1}


class Session(Protocol):
    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The result rows of a query."""
        ...

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """Run a statement that returns no rows."""
        ...

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows (Python values), returning once they are written."""
        ...


class ServerSession:
    """A ClickHouse server or cluster through ``clickhouse-connect``."""

    def __init__(self, url: str, settings: dict[str, Any] | None = None) -> None:
        import clickhouse_connect  # only where a server is configured

        parts = urlsplit(url)
        dsn = url
        if parts.scheme == "clickhouse":  # our spelling of a plain-HTTP server address
            dsn = "http" + url[len("clickhouse") :]
        self.client = clickhouse_connect.get_client(dsn=dsn, settings=settings or {})

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.client.query(sql, parameters=parameters).result_rows]

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self.client.command(sql, parameters=parameters)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.client.insert(table, rows, column_names=list(columns), settings=ASYNC_INSERT)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # UTC (the writer's values are)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class InProcessSession:
    """ClickHouse in this process (chDB); one session per database directory."""

    def __init__(self, path: str | None = None) -> None:
        # The test and bench dependency (requirements/dev.txt), untyped: held as Any.
        chdb: Any = importlib.import_module("chdb.session")
        self._session: Any = chdb.Session(path) if path else chdb.Session()

    def _query(self, sql: str, parameters: dict[str, Any] | None, fmt: str) -> Any:
        # Parameters in ClickHouse's text format, as clickhouse-connect sends them.
        from clickhouse_connect.driver.binding import format_bind_value

        params = {k: format_bind_value(v) for k, v in (parameters or {}).items()}
        return self._session.query(sql, fmt, params=params)

    def rows(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        text = self._query(sql, parameters, "JSONCompact").bytes()
        return [tuple(r) for r in json.loads(text)["data"]] if text else []

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        self._query(sql, parameters, "CSV")

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        lines = "\n".join(
            json.dumps([_json_value(v) for v in row], separators=(",", ":")) for row in rows
        )
        settings = ", ".join(f"{k} = {v}" for k, v in ASYNC_INSERT.items())
        self.command(
            f"INSERT INTO {table} ({', '.join(columns)}) SETTINGS {settings} "
            f"FORMAT JSONCompactEachRow\n{lines}"
        )

    def close(self) -> None:
        self._session.close()
