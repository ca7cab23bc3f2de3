"""A read replica for the analytics reports: which database a query goes to.

With ``DATABASE_REPLICA_URL`` set (``persx/settings/base.py``), the database alias
:data:`REPLICA` exists beside ``default``. The report pages (experiment reports, their CSV
and JSON exports, the overview, the report list) build their numbers inside
:func:`reports_from_replica`, and :class:`ReplicaRouter` sends the ORM reads made there to
the replica. Everything else stays on the primary: every write (the router names
``default`` for writes whatever the block), every read outside such a block (the site's
pages, the rollups, the event writes, the data-rights exports, which must see what was
just written), and a read inside a transaction of the primary (it may depend on what that
transaction wrote). Migrations run on the primary only.

Without a replica configured, or outside the block, the router has no opinion and Django
uses ``default``: one database, as before. A replica lags the primary a little (streaming
replication: usually well under a second); a report read from it may not yet hold the
rollup step that committed a moment ago, which the report's freshness line already allows
for. See docs/operations.md, "A read replica for reports".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reading_reports: ContextVar[bool] = ContextVar("persx_reading_reports", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def reports_from_replica() -> Iterator[None]:
    """Reads of the block go to the replica when one is configured (see the module)."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def report_database() -> str:
    """The alias a report's read goes to right now: the replica inside
    :func:`reports_from_replica` when one is configured, and the primary otherwise (or while
    the primary has a transaction open)."""
    if not (_reading_reports.get() and replica_configured()):
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry: report reads to the replica, everything else to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        alias = report_database()
        return alias if alias == REPLICA else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the same tables on both: a replica is a copy of the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
