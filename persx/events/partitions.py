"""Monthly partitions of the events table on PostgreSQL: made ahead, adopted, retired.

Layout (migration ``0005_partition_events_by_month``): ``persx_events_event`` is
range-partitioned on ``occurred_at``, one partition per UTC month named
``persx_events_event_y2026m11``, plus the DEFAULT partition ``persx_events_event_default``
that takes rows of any month without its own partition, so an insert never fails for want
of a partition. :func:`maintain` (``manage.py persx_events_partitions``, run by
``make serve`` and from cron) keeps it that way:

1. **ahead**: the current month and the next ``ahead`` months get their partition;
2. **adopt**: months found in the default partition (within the retention) get their own
   partition and their rows move into it, in one transaction (create a plain table, move the
   rows with one ``DELETE … RETURNING`` → ``INSERT``, ``ATTACH PARTITION``: the parent stays
   readable and writable, only the default partition is locked while it is checked);
3. **retire**: months whose end is ``retention_months`` or more months before the current
   month's start are detached and dropped whole (no row-by-row delete, no bloat); rows that
   old in the default partition are deleted; received event ids past their replay window
   (``ReceivedEventId.replayable_until``) are forgotten.

What a retired month leaves: its rollups (``persx.analytics`` tables) are not touched, so
reports keep the numbers of dropped months. See docs/scaling.md for the rollup caveat of a
visitor who returns after their old events were dropped.

SQLite has no partitions: :func:`maintain` says so and does nothing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection, transaction

from persx.events.models import Event, ReceivedEventId
from persx.http.row_security import POLICY_NAME, POLICY_USING

TABLE = Event._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
RECEIVED = ReceivedEventId._meta.db_table
_NAME = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")
# Ids forgotten per statement, so one run never holds a huge delete.
FORGET_BATCH = 50_000


@dataclass(frozen=True, slots=True, order=True)
class Month:
    """A UTC calendar month."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        if isinstance(moment, datetime):
            moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.plus(1).start

    @property
    def partition(self) -> str:
        return f"{TABLE}_y{self.year:04d}m{self.month:02d}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_of_partition(name: str) -> Month | None:
    found = _NAME.match(name)
    return Month(int(found[1]), int(found[2])) if found else None


@dataclass(slots=True)
class Maintenance:
    """What one :func:`maintain` run did (and, for a dry run, would do)."""

    partitioned: bool
    created: list[Month] = field(default_factory=list)
    adopted: dict[Month, int] = field(default_factory=dict)  # month → rows moved
    dropped: list[Month] = field(default_factory=list)
    default_rows_deleted: int = 0
    ids_forgotten: int = 0

    def lines(self) -> list[str]:
        if not self.partitioned:
            return ["events table is not partitioned (SQLite, or not migrated): nothing to do"]
        out = [f"created partition {m}" for m in self.created]
        out += [
            f"moved {n} rows of {m} out of the default partition" for m, n in self.adopted.items()
        ]
        out += [f"dropped partition {m} (past the retention)" for m in self.dropped]
        if self.default_rows_deleted:
            out.append(f"deleted {self.default_rows_deleted} old rows of the default partition")
        if self.ids_forgotten:
            out.append(f"forgot {self.ids_forgotten} received event ids past their replay window")
        return out or ["partitions up to date"]


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND pg_table_is_visible(c.oid)",
            [TABLE],
        )
        return cursor.fetchone() is not None


def monthly_partitions() -> list[Month]:
    """The months that have their own partition, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s "
            "AND pg_table_is_visible(p.oid)",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    return sorted(m for m in map(month_of_partition, names) if m is not None)


def months_in_default() -> dict[Month, int]:
    """Months with rows in the default partition, and how many rows each."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, COUNT(*) "
            f"FROM {DEFAULT_PARTITION} GROUP BY 1"
        )
        return {Month.of(day): count for day, count in cursor.fetchall()}


def create_partition(month: Month) -> int:
    """Give ``month`` its partition, moving its rows out of the default partition; rows moved."""
    name = month.partition
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            f"WHERE occurred_at >= %s AND occurred_at < %s RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved",
            [month.start, month.end],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)",
            [month.start, month.end],
        )
        cursor.execute("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", [TABLE])
        if cursor.fetchone()[0]:  # the parent's row security holds for the partition too
            cursor.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
            cursor.execute(
                f"CREATE POLICY {POLICY_NAME} ON {name} "
                f"USING ({POLICY_USING}) WITH CHECK ({POLICY_USING})"
            )
    return moved


def drop_partition(month: Month) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {month.partition}")
        cursor.execute(f"DROP TABLE {month.partition}")


def retention_cutoff(now: datetime, retention_months: int) -> datetime:
    """Rows before this are past the retention: ``retention_months`` whole months before the
    current month are kept (plus the current month)."""
    return Month.of(now).plus(-retention_months).start


def forget_expired_ids(now: datetime) -> int:
    forgotten = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {RECEIVED} WHERE event_id IN (SELECT event_id FROM {RECEIVED} "
                f"WHERE replayable_until < %s LIMIT {FORGET_BATCH})",
                [now],
            )
            count = cursor.rowcount
        forgotten += count
        if count < FORGET_BATCH:
            return forgotten


def maintain(
    now: datetime, *, ahead: int, retention_months: int | None, dry_run: bool = False
) -> Maintenance:
    """Partitions for the current month and ``ahead`` more, default rows adopted, months past
    ``retention_months`` dropped (None keeps every month). Each change is its own
    transaction, so an interrupted run leaves whole steps done."""
    if not is_partitioned():
        return Maintenance(partitioned=False)
    done = Maintenance(partitioned=True)
    have = set(monthly_partitions())
    cutoff = retention_cutoff(now, retention_months) if retention_months is not None else None
    waiting = months_in_default()
    current = Month.of(now)
    wanted = {current.plus(i) for i in range(ahead + 1)} | {
        m for m in waiting if cutoff is None or m.end > cutoff
    }
    for month in sorted(wanted - have):
        moved = 0 if dry_run else create_partition(month)
        done.created.append(month)
        if month in waiting:
            done.adopted[month] = waiting[month] if dry_run else moved
    if cutoff is not None:
        for month in sorted(have):
            if month.end <= cutoff:
                if not dry_run:
                    drop_partition(month)
                done.dropped.append(month)
        old_in_default = sum(n for m, n in waiting.items() if m.end <= cutoff)
        if old_in_default and not dry_run:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE occurred_at < %s", [cutoff])
        done.default_rows_deleted = old_in_default
    if not dry_run:
        done.ids_forgotten = forget_expired_ids(now)
    return done
