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


def test_a_rebuild_leaves_the_planner_statistics_of_what_it_wrote() -> None:
    """The adjusted cells are counted right after a rebuild: planned without statistics of
    the refilled tables (autovacuum analyzes them some time after), that count took a
    nested loop per visitor (396 s instead of 66 s at 10 M events), so the rebuild analyzes
    them itself."""
    log = EventLog()
    for i in range(40):
        log.exposure(f"s{i}", at(0, i % 20), arm="control").event("cta_click", f"s{i}", at(0, 21))
    log.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        started = cursor.fetchone()[0]
    rebuild_rollups(batch_size=25)
    tables = [f"persx_analytics_{m}" for m in ("experimentvisitor", "visitorconversion")]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [tables],
        )
        analyzed = dict(cursor.fetchall())
    assert set(analyzed) == set(tables)
    assert all(when is not None and when >= started for when in analyzed.values()), analyzed
