"""A step split into partitions (disjoint shares of its visitors, one PostgreSQL connection
each, at once) must end where one connection ends, row for row, and a run that failed after
some partitions committed must be fixed by the next run.

The history is the oracle's planted one (late exposures: shuffled ids; several steps per
visitor) with page views and form starts added (bounces, returns, form completions), stored
in five parts with an incremental run after each. The tests are transactional: partitions
run on other connections, which see committed rows only (inside a transaction the rollup
stays on one connection). A transactional test empties every table when it ends, so the
module saves the seeded database first and loads it back afterwards
(``tests/web/committed_rows.py``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from persx.analytics import rollup_sql, services
from persx.analytics.models import ExperimentVisitor
from persx.analytics.services import rebuild_rollups, update_rollups
from persx.events.models import Event
from tests.web import committed_rows
from tests.web.test_analytics_rollups import snapshot
from tests.web.test_rollup_oracle import history_with_visits, oracle, rolled_up, same

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded_database_kept"),
]
seeded_database_kept = committed_rows.seeded_database_kept  # the module's fixture


def _one_connection_rebuild() -> tuple[list[tuple[object, ...]], ...]:
    run = rebuild_rollups(batch_size=1000, partitions=1)
    assert run.partitions == 1
    return snapshot()


def test_partitioned_steps_end_where_one_connection_ends() -> None:
    history = history_with_visits(seed=11)
    fifth = len(history) // 5
    for part in range(5):
        Event.objects.bulk_create(history[part * fifth : (part + 1) * fifth if part < 4 else None])
        run = update_rollups(batch_size=97, partitions=3)
        assert run.partitions == 3  # really split (not the in-transaction fallback)
    partitioned = snapshot()
    stored = list(Event.objects.filter(visitor_id__startswith="oracle"))
    assert same(rolled_up(), oracle(stored))
    metrics = {row[5] for row in partitioned[2]}
    assert {"bounce", "return_visit", "form_completion", "personalized"} <= metrics
    assert partitioned == _one_connection_rebuild()
    assert rebuild_rollups(batch_size=200, partitions=2).partitions == 2
    assert snapshot() == partitioned


def test_a_run_that_failed_after_one_partition_committed_is_fixed_by_the_next_run() -> None:
    Event.objects.bulk_create(history_with_visits(seed=5))
    top = Event.objects.order_by("-id").values_list("id", flat=True).first()
    assert top is not None
    counted = services._counted()
    # What a crash leaves: partition 0 of 2 committed (on a connection of its own), the
    # other not, and the watermark not advanced.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(services._fold_partition, 0, top, counted, rollup_sql.Partition(0, 2)).result()
    half = ExperimentVisitor.objects.count()
    run = update_rollups(partitions=2)
    assert run.first_id == 0
    assert run.partitions == 2
    assert 0 < half < ExperimentVisitor.objects.count()  # the crash left a part
    after_rerun = snapshot()
    assert after_rerun == _one_connection_rebuild()
    assert connection.vendor == "postgresql"
