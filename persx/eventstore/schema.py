"""The ClickHouse schema of the event store, from the files in ``deploy/clickhouse/``.

``single_node.sql`` (one server) or ``cluster.sql`` (replicated tables per shard and a
Distributed table over them) with the database, the table and the retention filled in:
the raw events table and the per-visitor aggregate the reports read (``…_visitors``, an
AggregatingMergeTree fed by a materialized view whose body is
``visitor_aggregate_select.sql``; :func:`backfill_statement` fills it from raw events
stored before the view existed), and the report cells precomputed from that aggregate
(``…_contributions``, ``…_cells``, ``…_refreshes``: see ``single_node.sql``).
Retention follows ``PERSX['EVENTS_RETENTION_MONTHS']`` as PostgreSQL's partitions do: the
current month and that many before it are kept; ClickHouse drops older parts by TTL
(``ttl_only_drop_parts``: whole parts, no row-by-row rewrite).
"""

from __future__ import annotations

import re
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse"
DEFAULT_DATABASE = "persx"
EVENTS_TABLE = "events"
VISITORS_TABLE = f"{EVENTS_TABLE}_visitors"
CONTRIBUTIONS_TABLE = f"{EVENTS_TABLE}_contributions"  # the report cells' refresh writes
CELLS_TABLE = f"{EVENTS_TABLE}_cells"  # these three; the reports read the cells
REFRESHES_TABLE = f"{EVENTS_TABLE}_refreshes"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def retention_ttl(months: int | None) -> str:
    """The table's TTL clause: none when every month is kept."""
    if months is None:
        return ""
    return f"TTL toStartOfMonth(occurred_at) + INTERVAL {int(months) + 1} MONTH DELETE"


def aggregate_ttl(months: int | None) -> str:
    """The aggregate's TTL: a visitor's row goes once its newest event is past retention."""
    if months is None:
        return ""
    return f"TTL toStartOfMonth(last_at) + INTERVAL {int(months) + 1} MONTH DELETE"


def _aggregate_select(source: str) -> str:
    template = (SCHEMA_DIR / "visitor_aggregate_select.sql").read_text()
    text = "\n".join(line for line in template.splitlines() if not line.startswith("--"))
    return text.format(source=source).strip()


def backfill_statement(database: str) -> str:
    """INSERT … SELECT of every stored raw event into the aggregate (safe to repeat: the
    aggregate's states are idempotent, so rows the view already took count once). On a
    cluster both names are the Distributed tables: rows go back to their visitor's shard."""
    name = _checked("database", database)
    source = f"{name}.{EVENTS_TABLE}"
    return f"INSERT INTO {name}.{VISITORS_TABLE} {_aggregate_select(source)}"


def _checked(kind: str, name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{kind} {name!r}: letters, digits and underscores only")
    return name


def schema_statements(
    database: str, retention_months: int | None, cluster: str | None = None
) -> list[str]:
    """The CREATE statements, in order (each ``IF NOT EXISTS``: running them twice is safe)."""
    template = (SCHEMA_DIR / ("cluster.sql" if cluster else "single_node.sql")).read_text()
    text = "\n".join(line for line in template.splitlines() if not line.startswith("--"))
    name = _checked("database", database)
    raw = f"{name}.{EVENTS_TABLE}_local" if cluster else f"{name}.{EVENTS_TABLE}"
    filled = text.format(
        database=name,
        table=EVENTS_TABLE,
        cluster=_checked("cluster", cluster) if cluster else "",
        ttl=retention_ttl(retention_months),
        aggregate_ttl=aggregate_ttl(retention_months),
        aggregate_select=_aggregate_select(raw),
    )
    return [statement.strip() for statement in filled.split(";") if statement.strip()]
