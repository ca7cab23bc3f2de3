"""ClickHouse (chDB in-process) test support: one schema reset for every test module."""

from __future__ import annotations

from persx.eventstore.clickhouse_store import ClickHouseEventStore


def drop_schema(store: ClickHouseEventStore) -> None:
    """The raw table, the per-visitor aggregate and the view between them (the view first:
    it reads the raw table and writes the aggregate), and the report cells' tables."""
    for name in (
        f"{store.visitors_table}_mv",
        store.visitors_table,
        store.table,
        store.contributions_table,
        store.cells_table,
        store.refreshes_table,
    ):
        store.session.command(f"DROP TABLE IF EXISTS {name}")
