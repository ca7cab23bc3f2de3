"""The ClickHouse adapter of the event store port (:class:`~persx.eventstore.port.EventStore`).

Raw events go into one table (``deploy/clickhouse/``); a materialized view keeps a
per-visitor aggregate of them up to date at every insert (``events_visitors``), and the
reports' sufficient statistics are computed from that aggregate in ClickHouse SQL when
asked (:mod:`persx.eventstore.clickhouse_sql`): O(visitors), not O(events), and no rollup
job to keep up to date. It talks to a :class:`~persx.eventstore.sessions.
Session`: a server or cluster through ``clickhouse-connect``, or chDB in-process.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import OperationalError

from persx.eventstore import clickhouse_sql
from persx.eventstore.port import ArmSegmentMetric, ArmVariant, CountingRules, Scope, Sums
from persx.eventstore.raw_rows import COLUMNS, clickhouse_row
from persx.eventstore.schema import (
    DEFAULT_DATABASE,
    EVENTS_TABLE,
    VISITORS_TABLE,
    backfill_statement,
    schema_statements,
)
from persx.eventstore.sessions import Session


def _plain(value: Any) -> Any:
    """JSON-ready: a time as ISO text, an id as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _properties(raw: Any) -> dict[str, Any]:
    """An event's properties column (JSON text) as a dict; {} when it holds no object."""
    try:
        value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _sums(row: Sequence[Any]) -> Sums:
    v, c, s, q = row
    return Sums(int(v), int(c), float(s), float(q))


def _added(held: Sums | None, more: Sums) -> Sums:
    if held is None:
        return more
    return Sums(
        held.visitors + more.visitors,
        held.conversions + more.conversions,
        held.value_sum + more.value_sum,
        held.value_sum_sq + more.value_sum_sq,
    )


CELLS_FRESH_S = 10.0


@dataclass(frozen=True, slots=True)
class Cell:
    """One rollup-shaped row: a day × arm × industry × variant × metric and its sums."""

    day: date
    arm: str
    industry: str
    variant: str
    metric: str
    sums: Sums


class ClickHouseEventStore:
    """Raw events in ClickHouse; statistics computed there at query time."""

    def __init__(self, session: Session, database: str = DEFAULT_DATABASE) -> None:
        self.session = session
        self.table = f"{database}.{EVENTS_TABLE}"
        self.visitors_table = f"{database}.{VISITORS_TABLE}"
        self._lock = threading.Lock()
        self._recent: dict[tuple[str, CountingRules], tuple[float, list[Cell]]] = {}

    # --- writes ---------------------------------------------------------------------------

    def append(self, rows: Sequence[Sequence[Any]]) -> int:
        """Insert rows (``EVENT_COLUMNS`` order, driver-ready values); returns once written.

        Every row counts as accepted: a replayed ``event_id`` is stored again and collapses
        with the first copy (ReplacingMergeTree; the statistics read with FINAL), so the
        API cannot tell the client it was a duplicate.
        """
        if not rows:
            return 0
        values = [clickhouse_row(r) for r in rows]
        self._forget_recent()
        try:
            self.session.insert(self.table, COLUMNS, values)
        except Exception as exc:  # either client's error: the store did not take the rows
            # As a locked database: the writer retries, then answers 503 with Retry-After
            # (persx.events.durable_write); a retried batch collapses with any rows the
            # failed attempt wrote.
            raise OperationalError(f"ClickHouse insert failed: {exc}") from exc
        return len(rows)

    def forget_visitors(self, visitor_ids: Sequence[str]) -> None:
        """An erasure: lightweight deletes (rows hidden at once, removed at the next merge)
        of the raw events and of the visitors' aggregate rows."""
        ids = [v for v in visitor_ids if v]
        self._forget_recent()
        if ids:
            for table in (self.table, self.visitors_table):
                self.session.command(
                    f"DELETE FROM {table} WHERE has({{ids:Array(String)}}, visitor_id)",
                    {"ids": ids},
                )

    def visitor_events(self, visitor_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every stored event of these visitors (an export), oldest first."""
        columns = ", ".join(COLUMNS)
        rows = self.session.rows(
            f"SELECT {columns} FROM {self.table} FINAL "
            f"WHERE has({{ids:Array(String)}}, visitor_id) ORDER BY occurred_at, event_id",
            {"ids": list(visitor_ids)},
        )
        return [{c: _plain(v) for c, v in zip(COLUMNS, row, strict=True)} for row in rows]

    def events_of_types(
        self, types: Sequence[str], visitor_ids: Sequence[str] | None = None
    ) -> list[tuple[str, datetime, dict[str, Any]]]:
        """(visitor id, occurred at in UTC, properties) of every stored event of these types,
        of these visitors when given, oldest first (the email channel's clicks and the
        conversions that follow them)."""
        where = "has({types:Array(String)}, type)"
        parameters: dict[str, Any] = {"types": list(types)}
        if visitor_ids is not None:
            where += " AND has({ids:Array(String)}, visitor_id)"
            parameters["ids"] = list(visitor_ids)
        rows = self.session.rows(
            f"SELECT visitor_id, toUnixTimestamp64Micro(occurred_at), properties "
            f"FROM {self.table} FINAL WHERE {where} ORDER BY occurred_at, event_id",
            parameters,
        )
        return [
            (str(visitor), EPOCH + timedelta(microseconds=int(micros)), _properties(raw))
            for visitor, micros, raw in rows
        ]

    # --- statistics ----------------------------------------------------------------------

    def _cells(self, scope: Scope) -> list[Cell]:
        """Every metric's cells of the scope's experiment (the methods pick the asked
        metrics): one query per report.

        A report asks three times (by segment, by day, by variant); the cells of the first
        answer the other two while they are younger than ``CELLS_FRESH_S`` (and no write
        of this process came in between). Rollup-based reports are minutes old by design.
        """
        key = (scope.experiment, scope.rules)
        now = time.monotonic()
        with self._lock:
            held = self._recent.get(key)
            if held is not None and now - held[0] < CELLS_FRESH_S:
                return held[1]
        rows = self.session.rows(
            clickhouse_sql.cells_query(self.visitors_table, scope.rules),
            {"experiment": scope.experiment, "counted": list(scope.rules.counted_consents)},
        )
        cells = [
            Cell(_day(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), _sums(r[5:])) for r in rows
        ]
        with self._lock:
            self._recent = {key: (now, cells)}
        return cells

    def _forget_recent(self) -> None:
        with self._lock:
            self._recent = {}

    def arm_segment_sums(self, scope: Scope) -> dict[ArmSegmentMetric, Sums]:
        out: dict[ArmSegmentMetric, Sums] = {}
        for c in self._cells(scope):
            if c.metric in scope.metrics:
                key = (c.arm, c.industry, c.metric)
                out[key] = _added(out.get(key), c.sums)
        return out

    def daily_sums(self, scope: Scope) -> dict[date, dict[str, Sums]]:
        by_day: dict[date, dict[str, Sums]] = defaultdict(dict)
        for c in sorted(self._cells(scope), key=lambda c: c.day):
            if c.metric in scope.metrics:
                by_day[c.day][c.arm] = _added(by_day[c.day].get(c.arm), c.sums)
        return by_day

    def variant_sums(self, scope: Scope) -> dict[ArmVariant, Sums]:
        out: dict[ArmVariant, Sums] = {}
        for c in self._cells(scope):
            if c.metric in scope.metrics:
                key = (c.arm, c.variant)
                out[key] = _added(out.get(key), c.sums)
        return out

    def visitors_per_arm(
        self, experiments: Sequence[str], rules: CountingRules
    ) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(dict)
        if not experiments:
            return out
        rows = self.session.rows(
            clickhouse_sql.visitors_sql(self.visitors_table, rules),
            {"experiments": list(experiments), "counted": list(rules.counted_consents)},
        )
        for experiment, arm, visitors in rows:
            out[str(experiment)][str(arm)] = int(visitors)
        return out

    def create_schema(self, retention_months: int | None, cluster: str | None = None) -> None:
        database = self.table.split(".")[0]
        for statement in schema_statements(database, retention_months, cluster):
            self.session.command(statement)

    def backfill_aggregate(self) -> None:
        """Fill the per-visitor aggregate from every stored raw event (events stored before
        the materialized view existed); safe to repeat, and while writers append."""
        self._forget_recent()
        self.session.command(backfill_statement(self.table.split(".")[0]))
