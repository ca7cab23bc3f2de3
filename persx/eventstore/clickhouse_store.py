"""The ClickHouse adapter of the event store port (:class:`~persx.eventstore.port.EventStore`).

Raw events go into one table (``deploy/clickhouse/``); the reports' sufficient statistics
are computed from them in ClickHouse SQL when asked (:mod:`persx.eventstore.clickhouse_sql`),
so there is no rollup to keep up to date. It talks to a :class:`~persx.eventstore.sessions.
Session`: a server or cluster through ``clickhouse-connect``, or chDB in-process.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.db import OperationalError

from persx.eventstore import clickhouse_sql
from persx.eventstore.port import ArmSegmentMetric, ArmVariant, CountingRules, Scope, Sums
from persx.eventstore.raw_rows import COLUMNS, clickhouse_row
from persx.eventstore.schema import DEFAULT_DATABASE, EVENTS_TABLE, schema_statements
from persx.eventstore.sessions import Session


def _plain(value: Any) -> Any:
    """JSON-ready: a time as ISO text, an id as text."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _sums(row: Sequence[Any]) -> Sums:
    v, c, s, q = row
    return Sums(int(v), int(c), float(s), float(q))


class ClickHouseEventStore:
    """Raw events in ClickHouse; statistics computed there at query time."""

    def __init__(self, session: Session, database: str = DEFAULT_DATABASE) -> None:
        self.session = session
        self.table = f"{database}.{EVENTS_TABLE}"

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
        try:
            self.session.insert(self.table, COLUMNS, values)
        except Exception as exc:  # either client's error: the store did not take the rows
            # As a locked database: the writer retries, then answers 503 with Retry-After
            # (persx.events.durable_write); a retried batch collapses with any rows the
            # failed attempt wrote.
            raise OperationalError(f"ClickHouse insert failed: {exc}") from exc
        return len(rows)

    def forget_visitors(self, visitor_ids: Sequence[str]) -> None:
        """An erasure: a lightweight delete (rows hidden at once, removed at the next merge)."""
        ids = [v for v in visitor_ids if v]
        if ids:
            self.session.command(
                f"DELETE FROM {self.table} WHERE has({{ids:Array(String)}}, visitor_id)",
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

    # --- statistics ----------------------------------------------------------------------

    def _grouped(self, scope: Scope, keys: tuple[str, ...]) -> list[tuple[Any, ...]]:
        sql = clickhouse_sql.grouped_sql(self.table, scope.rules, keys)
        return self.session.rows(
            sql,
            {
                "experiments": [scope.experiment],
                "counted": list(scope.rules.counted_consents),
                "metrics": list(scope.metrics),
            },
        )

    def arm_segment_sums(self, scope: Scope) -> dict[ArmSegmentMetric, Sums]:
        rows = self._grouped(scope, ("arm", "industry", "metric"))
        return {(str(r[0]), str(r[1]), str(r[2])): _sums(r[3:]) for r in rows}

    def daily_sums(self, scope: Scope) -> dict[date, dict[str, Sums]]:
        by_day: dict[date, dict[str, Sums]] = defaultdict(dict)
        for row in self._grouped(scope, ("day", "arm")):
            by_day[_day(row[0])][str(row[1])] = _sums(row[2:])
        return by_day

    def variant_sums(self, scope: Scope) -> dict[ArmVariant, Sums]:
        rows = self._grouped(scope, ("arm", "variant"))
        return {(str(r[0]), str(r[1])): _sums(r[2:]) for r in rows}

    def visitors_per_arm(
        self, experiments: Sequence[str], rules: CountingRules
    ) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(dict)
        if not experiments:
            return out
        rows = self.session.rows(
            clickhouse_sql.visitors_sql(self.table, rules),
            {"experiments": list(experiments), "counted": list(rules.counted_consents)},
        )
        for experiment, arm, visitors in rows:
            out[str(experiment)][str(arm)] = int(visitors)
        return out

    def create_schema(self, retention_months: int | None, cluster: str | None = None) -> None:
        database = self.table.split(".")[0]
        for statement in schema_statements(database, retention_months, cluster):
            self.session.command(statement)
