"""A rebuild on PostgreSQL drops the visitor tables' secondary indexes (by experiment and
day) while it inserts, and builds them once at the end; a run after a rebuild that failed
half-way (indexes still dropped) builds them too. Transactional: inside a caller's
transaction a rebuild keeps the indexes (dropped ones would stay locked until its commit)."""

from __future__ import annotations

import pytest
from django.db import connection

from persx.analytics import rollup_sql
from persx.analytics.services import rebuild_rollups, update_rollups
from tests.web import committed_rows
from tests.web.analytics_events import EventLog, at

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_database_kept"),
]
seeded_database_kept = committed_rows.seeded_database_kept  # the module's fixture


def _present() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {row[0] for row in cursor.fetchall()}


def test_a_rebuild_ends_with_the_secondary_indexes_built() -> None:
    names = set(rollup_sql.secondary_index_names())
    assert names == {"analytics_ev_day", "analytics_vc_day"}
    log = EventLog()
    for i in range(6):
        log.exposure(f"v{i}", at(0, i), arm="control").event("cta_click", f"v{i}", at(0, 11))
    log.save()
    during: list[set[str]] = []
    rebuild_rollups(batch_size=4, progress=lambda done, total: during.append(_present()))
    assert len(during) > 2  # after each step
    assert all(not names & present for present in during[1:])
    assert names <= _present()


def test_the_next_run_builds_the_indexes_a_failed_rebuild_left_dropped() -> None:
    with connection.cursor() as cursor:
        for statement in rollup_sql.drop_secondary_indexes(rollup_sql.Dialect("postgresql")):
            cursor.execute(statement)
    names = set(rollup_sql.secondary_index_names())
    assert not names & _present()
    update_rollups()
    assert names <= _present()
