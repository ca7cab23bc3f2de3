"""Create the ClickHouse event store's schema (``deploy/clickhouse/``); safe to run again.

``manage.py persx_clickhouse_schema`` creates the single-node table in the database named
by ``PERSX['CLICKHOUSE_URL']``; ``--cluster NAME`` the replicated tables and the
Distributed table over them on that cluster; ``--print`` shows the statements instead.
Both create the per-visitor aggregate, the materialized view feeding it, and the tables of
the report cells refreshed from it by ``persx_rollup``; ``--backfill`` then fills the
aggregate from the raw events already stored (an upgrade from a version without it; safe
to repeat, and while events keep arriving; the next refresh then takes every visitor).
Retention follows ``PERSX['EVENTS_RETENTION_MONTHS']``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from persx.config import config
from persx.eventstore.schema import DEFAULT_DATABASE, backfill_statement, schema_statements
from persx.eventstore.selection import clickhouse_store


class Command(BaseCommand):
    help = "Create the ClickHouse tables of the event store (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", default="", help="create the replicated tables")
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="print, do not run"
        )
        parser.add_argument(
            "--backfill",
            action="store_true",
            help="then fill the per-visitor aggregate from the raw events already stored",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settings = config()
        cluster = options["cluster"] or None
        if options["print_only"]:
            for statement in schema_statements(
                DEFAULT_DATABASE, settings.events_retention_months, cluster
            ):
                self.stdout.write(statement + ";\n")
            if options["backfill"]:
                self.stdout.write(backfill_statement(DEFAULT_DATABASE) + ";\n")
            return
        if not settings.clickhouse_url:
            raise CommandError("PERSX['CLICKHOUSE_URL'] is not set (PERSX_CLICKHOUSE_URL)")
        store = clickhouse_store(settings.clickhouse_url)
        store.create_schema(settings.events_retention_months, cluster)
        self.stdout.write(self.style.SUCCESS(f"ClickHouse schema ready: {store.table}"))
        if options["backfill"]:
            store.backfill_aggregate()
            self.stdout.write(
                self.style.SUCCESS(f"Per-visitor aggregate filled: {store.visitors_table}")
            )
