"""The ClickHouse adapter of the event store port (:class:`~persx.eventstore.port.EventStore`).

Raw events go into one table (``deploy/clickhouse/``); a materialized view keeps a
per-visitor aggregate of them up to date at every insert (``events_visitors``). The
reports read precomputed cells (``events_cells``): :meth:`ClickHouseEventStore.
refresh_report_cells`, run by ``manage.py persx_rollup`` like the relational rollup,
recomputes from the aggregate the contributions of the visitors changed since its last
watermark and sums them into each touched experiment's cells
(:mod:`persx.eventstore.clickhouse_sql`). A report is as fresh as the last refresh. It
talks to a :class:`~persx.eventstore.sessions.Session`: a server or cluster through
``clickhouse-connect``, or chDB in-process.
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
    CELLS_TABLE,
    CONTRIBUTIONS_TABLE,
    DEFAULT_DATABASE,
    EVENTS_TABLE,
    REFRESHES_TABLE,
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


LATE_COMMIT_MARGIN_S = 60
"""A refresh takes the visitors changed since its predecessor's watermark minus this: an
insert stamped just before a refresh began but written after it read is taken by the
next one (refreshing a visitor again changes nothing)."""


CELLS_HELD_S = 10.0


@dataclass(frozen=True, slots=True)
class CellsRefresh:
    """What one refresh of the report cells did."""

    number: int  # the refresh's number: the server's clock at its start, in µs
    full: bool  # every entered visitor (the first refresh under these counting rules)
    visitors: int  # visitors whose aggregate changed since the last watermark
    experiments: tuple[str, ...]  # whose contributions and cells were rewritten
    seconds: float


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
        self.contributions_table = f"{database}.{CONTRIBUTIONS_TABLE}"
        self.cells_table = f"{database}.{CELLS_TABLE}"
        self.refreshes_table = f"{database}.{REFRESHES_TABLE}"
        self.late_commit_margin_s = LATE_COMMIT_MARGIN_S
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], tuple[float, list[Cell]]] = {}  # the sets read

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
        """An erasure: lightweight deletes (rows hidden at once, removed at the next merge)
        of the raw events, the visitors' aggregate rows and their contributions; the cells
        of the experiments they counted in are summed again at once (the report does not
        wait for the next refresh to forget them)."""
        ids = [v for v in visitor_ids if v]
        if not ids:
            return
        touched = self.session.rows(
            f"SELECT DISTINCT rules_key, experiment FROM {self.contributions_table} "
            f"WHERE has({{ids:Array(String)}}, visitor_id)",
            {"ids": ids},
        )
        for table in (self.table, self.visitors_table, self.contributions_table):
            self.session.command(
                f"DELETE FROM {table} WHERE has({{ids:Array(String)}}, visitor_id)",
                {"ids": ids},
            )
        number = self._server_micros()
        for key, experiment in touched:
            self._sum_cells(str(key), str(experiment), number)
        self.forget_held_cells()

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
        """Every metric's cells of the scope's experiment from its newest refreshed set (the
        methods pick the asked metrics): a few thousand rows. A report asks three times (by
        segment, by day, by variant); the first read answers the others while it is younger
        than ``CELLS_HELD_S`` and this process neither refreshed nor erased meanwhile."""
        key = (clickhouse_sql.rules_key(scope.rules), scope.experiment)
        now = time.monotonic()
        with self._lock:
            held = self._held.get(key)
            if held is not None and now - held[0] < CELLS_HELD_S:
                return held[1]
        rows = self.session.rows(
            clickhouse_sql.cells_select(self.cells_table),
            {"rules_key": key[0], "experiment": scope.experiment},
        )
        cells = [
            Cell(_day(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), _sums(r[5:])) for r in rows
        ]
        with self._lock:
            self._held[key] = (now, cells)
        return cells

    def forget_held_cells(self) -> None:
        """Read the cells again at the next ask."""
        with self._lock:
            self._held.clear()

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
            clickhouse_sql.visitors_per_arm_select(self.cells_table, rules),
            {"experiments": list(experiments), "rules_key": clickhouse_sql.rules_key(rules)},
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
        the materialized view existed); safe to repeat, and while writers append. The next
        refresh of the report cells then takes every visitor again."""
        self.session.command(backfill_statement(self.table.split(".")[0]))

    # --- the report cells ----------------------------------------------------------------

    def _server_micros(self) -> int:
        return int(self.session.rows("SELECT toUnixTimestamp64Micro(now64(6, 'UTC'))")[0][0])

    def _sum_cells(self, key: str, experiment: str, number: int) -> None:
        """One experiment's cells summed again from its contributions, as set ``number``."""
        parameters = {"rules_key": key, "experiment": experiment, "refresh": number}
        self.session.command(
            clickhouse_sql.cells_insert(self.contributions_table, self.cells_table), parameters
        )
        self.session.command(clickhouse_sql.older_cells_delete(self.cells_table), parameters)

    def last_refresh(self, rules: CountingRules) -> tuple[int, datetime] | None:
        """The newest refresh under these rules: its watermark (µs) and when it finished."""
        rows = self.session.rows(
            f"SELECT toUnixTimestamp64Micro(watermark), toUnixTimestamp64Micro(finished_at) "
            f"FROM {self.refreshes_table} WHERE rules_key = {{k:String}} "
            f"ORDER BY refresh DESC LIMIT 1",
            {"k": clickhouse_sql.rules_key(rules)},
        )
        if not rows:
            return None
        watermark, finished = rows[0]
        return int(watermark), EPOCH + timedelta(microseconds=int(finished))

    def cells_refreshed_at(self, rules: CountingRules) -> datetime | None:
        """When the report cells were last refreshed: what the reports are as fresh as."""
        last = self.last_refresh(rules)
        return last[1] if last else None

    def refresh_report_cells(self, rules: CountingRules) -> CellsRefresh:
        """Bring the report cells up to date: the contributions of every visitor whose
        aggregate rows were written since the last watermark (all of them the first time
        under these rules), then each touched experiment's cells summed again. Safe to
        repeat; run periodically (``manage.py persx_rollup``), one at a time."""
        started = time.perf_counter()
        key = clickhouse_sql.rules_key(rules)
        number = self._server_micros()
        last = self.last_refresh(rules)
        full = last is None
        since = 0 if last is None else max(0, last[0] - int(self.late_commit_margin_s * 1_000_000))
        parameters: dict[str, Any] = {"since": since}
        visitors = int(
            self.session.rows(clickhouse_sql.changed_count_select(self.visitors_table), parameters)[
                0
            ][0]
        )
        experiments: tuple[str, ...] = ()
        if visitors:
            changed = self.session.rows(
                clickhouse_sql.changed_experiments_select(self.visitors_table), parameters
            )
            names = {str(r[0]) for r in changed} | {rules.holdout_experiment}
            experiments = tuple(sorted(names))
        for experiment in experiments:
            self.session.command(
                clickhouse_sql.contributions_insert(
                    self.visitors_table, self.contributions_table, rules, changed_only=not full
                ),
                {
                    **parameters,
                    "rules_key": key,
                    "experiment": experiment,
                    "refresh": number,
                    "counted": list(rules.counted_consents),
                },
            )
            self._sum_cells(key, experiment, number)
        self.session.command(
            f"INSERT INTO {self.refreshes_table} (rules_key, refresh, watermark, visitors, "
            f"experiments, finished_at) VALUES ({{k:String}}, {{n:UInt64}}, "
            f"fromUnixTimestamp64Micro({{n:Int64}}, 'UTC'), {{v:UInt64}}, {{e:UInt32}}, "
            f"now64(6, 'UTC'))",
            {"k": key, "n": number, "v": visitors, "e": len(experiments)},
        )
        self.forget_held_cells()
        return CellsRefresh(number, full, visitors, experiments, time.perf_counter() - started)
