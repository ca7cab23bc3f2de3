"""A read replica for the report pages (persx/database_routing.py).

The router is checked everywhere. On PostgreSQL a real second alias is configured for the
test: ``replica``, a TEST MIRROR of the test database (its own connection to the same
server and database, as a streaming replica would be), and the queries each connection
ran are logged: the report's reads go to the replica, the rollup refresh and every write
stay on the primary. Those tests run in autocommit (the replica's connection cannot see a
test transaction of the primary) and delete what they wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from persx.analytics.models import DailyRollup
from persx.analytics.report_queries import visitors_per_experiment
from persx.database_routing import (
    REPLICA,
    ReplicaRouter,
    report_database,
    reports_from_replica,
)

ROLLUPS = DailyRollup._meta.db_table


@pytest.fixture
def replica() -> Iterator[str]:
    """The alias ``replica``, mirroring the test database, for this test only."""
    settings = dict(connections.settings[DEFAULT_DB_ALIAS])
    settings["TEST"] = {**settings.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = settings
    try:
        yield REPLICA
    finally:
        connections[REPLICA].close()  # this thread's replica connection, if it opened one
        del connections[REPLICA]
        del connections.settings[REPLICA]


def test_without_a_replica_every_read_stays_on_the_primary() -> None:
    router = ReplicaRouter()
    with reports_from_replica():
        assert report_database() == DEFAULT_DB_ALIAS
        assert router.db_for_read(DailyRollup) is None


def test_with_a_replica_only_reads_inside_the_report_block_go_there(replica: str) -> None:
    router = ReplicaRouter()
    assert router.db_for_read(DailyRollup) is None  # outside the block: the primary
    with reports_from_replica():
        assert router.db_for_read(DailyRollup) == REPLICA
        assert router.db_for_write(DailyRollup) == DEFAULT_DB_ALIAS
    assert router.db_for_read(DailyRollup) is None
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "persx_analytics")
    assert not router.allow_migrate(REPLICA, "persx_analytics")


@pytest.mark.django_db
def test_a_read_inside_a_primary_transaction_stays_on_the_primary(replica: str) -> None:
    with transaction.atomic(), reports_from_replica():  # may read what it just wrote
        assert report_database() == DEFAULT_DB_ALIAS


# --- PostgreSQL: two connections, queries logged per alias ------------------------------------


@pytest.fixture
def db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The session's test database in autocommit (each test deletes what it wrote)."""
    with django_db_blocker.unblock():
        assert not connection.in_atomic_block
        yield


def _rollups_read(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if ROLLUPS in q["sql"]]


@pytest.mark.postgresql
def test_report_numbers_are_read_through_the_replica_s_connection(db: None, replica: str) -> None:
    row = DailyRollup.objects.create(
        day=date(2031, 1, 5), experiment="replica-exp", arm="control", industry="saas",
        variant="", metric="form_submission", visitors=17, conversions=3,
        value_sum=0.0, value_sum_sq=0.0,
    )  # fmt: skip
    try:
        with (
            CaptureQueriesContext(connections[REPLICA]) as on_replica,
            CaptureQueriesContext(connection) as on_primary,
            reports_from_replica(),
        ):
            counts = visitors_per_experiment(["replica-exp"])
        assert counts == {"replica-exp": {"control": 17}}
        assert _rollups_read(on_replica)
        assert not _rollups_read(on_primary)
        assert connections[REPLICA].connection is not connection.connection
    finally:
        row.delete()


@pytest.mark.postgresql
def test_the_report_pages_read_from_the_replica_and_write_on_the_primary(
    db: None, replica: str
) -> None:
    user = get_user_model().objects.create_superuser("replica-boss", "rb@example.com", "pw")
    client = Client()
    client.force_login(user)
    try:
        for url in ("/cms/measurement/experiments/", "/cms/measurement/overview/"):
            with (
                CaptureQueriesContext(connections[REPLICA]) as on_replica,
                CaptureQueriesContext(connection) as on_primary,
            ):
                response = client.get(url)
            assert response.status_code == 200, url
            assert _rollups_read(on_replica), url
            writes = [
                q["sql"]
                for q in on_replica.captured_queries
                if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            ]
            assert writes == [], url
            assert on_primary.captured_queries, url  # the session and the rollup freshness
    finally:
        user.delete()
