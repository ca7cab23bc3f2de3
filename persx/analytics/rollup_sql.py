"""The set-based SQL of one rollup step, for SQLite and PostgreSQL.

One step takes the events with ``lo < id <= hi`` and:

1. collects the visitors those events belong to (temp table ``persx_rollup_visitors``) and
   the step's exposures (``persx_rollup_exposures``), both by primary-key range;
2. subtracts what those visitors' current rows count in the daily cells (the *delta*
   table ``persx_rollup_delta``, one row per cell, signed);
3. upserts :class:`ExperimentVisitor` from the new exposures (an earlier exposure that
   arrives late replaces a later one: the first exposure wins whatever the arrival order);
4. reads the history of those visitors once (``persx_rollup_visitor_events``): the step's
   own events by id range, and their earlier events (``id <= lo``) through the visitor
   index, and re-derives their :class:`VisitorConversion` rows from it into a staging table
   (so a conversion stored before its exposure was flushed still counts once the exposure
   arrives), which replaces their rows;
5. adds what the new rows count to the delta, and merges the delta into
   :class:`DailyRollup` arithmetically (``INSERT … ON CONFLICT DO UPDATE``: counts and sums
   add); a cell left with no visitor and no conversion is deleted, as a rebuild would not
   have it.

A step can run as ``N`` *partitions* on ``N`` PostgreSQL connections at once
(:class:`Partition`): each takes only the visitors whose ``hashtext(visitor_id)`` falls in
its share, so every visitor-level row belongs to exactly one partition, and the daily cells,
which only add, are merged one partition at a time (a transaction-level advisory lock
around the merge: no two partitions update the same cells concurrently, so no deadlock).

So a step's work is proportional to the visitors it touches, never to the size of the
rollup tables. Each statement is an ``INSERT … SELECT`` / ``DELETE`` over a whole id range
(no per-visitor statement, no per-event Python). The big tables are only read through the
primary key or a visitor index (the temp tables fix the access path: a planner without
statistics would otherwise walk an index over every event of a type). Folding the same ids
twice changes nothing (the incremental update relies on that to re-read a short tail on
PostgreSQL). Sorts put the visitor id first: it is nearly unique, so PostgreSQL decides
most comparisons on its abbreviated key.

Only constants of this module are inlined into the SQL text; the id range is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from persx.analytics.models import DailyRollup, ExperimentVisitor, VisitorConversion
from persx.engine.deciding.experiments import HOLDOUT_EXPERIMENT
from persx.engine.visitor.audience import GENERIC
from persx.events.event_types import (
    CONVERSION_EVENT_TYPES,
    ENGAGEMENT_EVENT_TYPE,
    INTERACTION_EVENT_TYPES,
    EventType,
)
from persx.events.experiment_metrics import (
    ALL_VISITOR_METRICS,
    FORM_START,
    PERSONALIZED,
    RETURN_WINDOW_DAYS,
)
from persx.events.models import Event

EXPOSURE = EventType.EXPOSURE.value
PAGE_VIEW = EventType.PAGE_VIEW.value

HOLDOUT_ARM = "holdout"
REST_ARM = "rest"  # every profiled visitor of the holdout comparison who is not held out

EVENTS = Event._meta.db_table
EV = ExperimentVisitor._meta.db_table
VC = VisitorConversion._meta.db_table
DR = DailyRollup._meta.db_table
VISITORS = "persx_rollup_visitors"
EXPOSURES = "persx_rollup_exposures"
VISITOR_EVENTS = "persx_rollup_visitor_events"
VISITOR_ROWS = "persx_rollup_experiment_visitors"
NEW_CONVERSIONS = "persx_rollup_conversions"
DELTA = "persx_rollup_delta"
SCOPE = "persx_rollup_scope"
BOUNCED = "persx_rollup_bounced"
TEMP_TABLES = (
    VISITORS,
    EXPOSURES,
    VISITOR_EVENTS,
    VISITOR_ROWS,
    NEW_CONVERSIONS,
    DELTA,
    BOUNCED,
)  # the step's; SCOPE is the erasure's (drop_scope)
CELL = "day, experiment, arm, industry, variant, metric"
SUMMED = "visitors, conversions, value_sum, value_sum_sq"

# A statement and its parameters (None: no placeholder).
Statement = tuple[str, Sequence[int] | None]


# The advisory lock the partitions of a step take to merge their deltas one at a time.
MERGE_LOCK_KEY = 0x70657273_78726D  # "persx" "rm" (rollup merge): any constant bigint


@dataclass(frozen=True, slots=True)
class Partition:
    """The share ``index`` of ``count`` of a step's visitors (``count == 1``: all of them)."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"partition {self.index} of {self.count}")

    def of(self, column: str) -> str:
        """``AND`` a condition keeping the rows of this partition's visitors ('' for all)."""
        if self.count == 1:
            return ""
        # PostgreSQL only (the caller runs partitions there): hashtext is its text hash.
        return f" AND mod(hashtext({column}) & 2147483647, {self.count}) = {self.index}"


WHOLE = Partition()


def _quoted(values: tuple[str, ...]) -> str:
    for value in values:
        if "'" in value:  # constants only; never user input
            raise ValueError(f"unexpected quote in SQL constant {value!r}")
    return ", ".join(f"'{v}'" for v in values)


@dataclass(frozen=True, slots=True)
class Dialect:
    vendor: str

    def day(self, expression: str) -> str:
        """The UTC calendar day of a timestamp expression."""
        if self.vendor == "postgresql":
            return f"(({expression}) AT TIME ZONE 'UTC')::date"
        return f"date({expression})"

    def plus_days(self, day_expression: str, days: int) -> str:
        if self.vendor == "postgresql":
            return f"({day_expression} + {int(days)})"
        return f"date({day_expression}, '+{int(days)} days')"

    def not_indexed(self, column: str) -> str:
        """SQLite: a unary ``+`` keeps the planner off this column's indexes."""
        return column if self.vendor == "postgresql" else f"+{column}"

    def analyze(self, name: str) -> list[str]:
        """PostgreSQL: statistics for a filled temp table (never auto-analyzed)."""
        return [f"ANALYZE {name}"] if self.vendor == "postgresql" else []

    def temp_table(self, name: str, select: str, *index: str) -> list[str]:
        if self.vendor == "postgresql":
            # Created once per connection and emptied per step: dropping and re-creating
            # inside one long transaction (a rebuild, a test) would hold a lock per dropped
            # table until commit and exhaust max_locks_per_transaction.
            statements = [
                f"CREATE TEMP TABLE IF NOT EXISTS {name} AS {select} WITH NO DATA",
                f"TRUNCATE {name}",
                f"INSERT INTO {name} {select}",
            ]
            statements += [
                f"CREATE INDEX IF NOT EXISTS {name}_{i} ON {name} ({columns})"
                for i, columns in enumerate(index)
            ]
            statements.append(f"ANALYZE {name}")  # temp tables are never auto-analyzed
            return statements
        statements = [f"DROP TABLE IF EXISTS {name}", f"CREATE TEMP TABLE {name} AS {select}"]
        for i, columns in enumerate(index):
            statements.append(f"CREATE INDEX {name}_{i} ON {name} ({columns})")
        return statements


def _bound(statements: list[str], params: Sequence[int]) -> list[Statement]:
    return [(sql, params if "%s" in sql else None) for sql in statements]


def collect(dialect: Dialect, lo: int, hi: int, partition: Partition = WHOLE) -> list[Statement]:
    """The step's visitors and exposures (of the partition's visitors)."""
    exposure = dialect.not_indexed("type")
    mine = partition.of("visitor_id")
    statements = [
        *dialect.temp_table(
            VISITORS,
            f"SELECT DISTINCT visitor_id FROM {EVENTS} "
            f"WHERE id > %s AND id <= %s AND visitor_id <> ''{mine}",
            "visitor_id",
        ),
        *dialect.temp_table(
            EXPOSURES,
            f"SELECT id, visitor_id, industry, persona, consent, occurred_at, experiment, arm, "
            f"COALESCE(NULLIF(would_be, ''), variant) AS variant FROM {EVENTS} "
            f"WHERE id > %s AND id <= %s AND {exposure} = '{EXPOSURE}' AND visitor_id <> ''"
            f"{mine}",
        ),
    ]
    return _bound(statements, (lo, hi))


def _metric_rows() -> str:
    rows = " UNION ALL ".join(f"SELECT '{m}' AS metric" for m in ALL_VISITOR_METRICS)
    return f"{rows} UNION ALL SELECT '{PERSONALIZED}' AS metric"


_ROLLUP_METRIC = f"CASE WHEN vc.metric = '{FORM_START}' THEN 'form_completion' ELSE vc.metric END"


def _contributions(sign: int, experiment_visitors: str, conversions: str, counted: str) -> str:
    """What rows count in the daily cells, times ``sign``: each consenting visitor row once
    per metric on its first day (the denominators), each consenting conversion row on its
    day (form starts: form_completion's denominator). ``experiment_visitors`` and
    ``conversions`` are relations aliased ``ev`` and ``vc``."""
    exposed = (
        f"SELECT ev.first_day AS day, ev.experiment AS experiment, ev.arm AS arm, "
        f"ev.industry AS industry, ev.variant AS variant, COUNT(*) AS visitors "
        f"FROM {experiment_visitors} WHERE ev.consent IN ({counted}) "
        f"GROUP BY ev.first_day, ev.experiment, ev.arm, ev.industry, ev.variant"
    )
    denominators = (
        f"SELECT g.day, g.experiment, g.arm, g.industry, g.variant, m.metric, "
        f"{sign} * g.visitors AS visitors, 0 AS conversions, 0.0 AS value_sum, "
        f"0.0 AS value_sum_sq FROM ({exposed}) g CROSS JOIN ({_metric_rows()}) m "
        f"WHERE m.metric <> '{PERSONALIZED}' OR g.experiment = '{HOLDOUT_EXPERIMENT}'"
    )
    numerators = (
        f"SELECT vc.day, vc.experiment, vc.arm, vc.industry, vc.variant, "
        f"{_ROLLUP_METRIC} AS metric, "
        f"{sign} * SUM(CASE WHEN vc.metric = '{FORM_START}' THEN 1 ELSE 0 END), "
        f"{sign} * SUM(CASE WHEN vc.metric = '{FORM_START}' THEN 0 ELSE 1 END), "
        f"{sign} * SUM(vc.value_sum), {sign} * SUM(vc.value_sum * vc.value_sum) "
        f"FROM {conversions} WHERE vc.consent IN ({counted}) "
        f"GROUP BY vc.day, vc.experiment, vc.arm, vc.industry, vc.variant, {_ROLLUP_METRIC}"
    )
    return f"{denominators} UNION ALL {numerators}"


def subtract_current_rows(dialect: Dialect, counted: tuple[str, ...]) -> list[str]:
    """Start the delta with minus what the step's visitors' current rows count (before the
    upsert and before their conversions are re-derived)."""

    def of_visitors(table: str, alias: str) -> str:
        return (
            f"(SELECT {alias}.* FROM {VISITORS} rv CROSS JOIN {table} {alias} "
            f"WHERE {alias}.visitor_id = rv.visitor_id) {alias}"
        )

    return dialect.temp_table(
        DELTA,
        _contributions(-1, of_visitors(EV, "ev"), of_visitors(VC, "vc"), _quoted(counted)),
    )


def add_new_rows(counted: tuple[str, ...]) -> list[str]:
    """Add to the delta what the step's visitors' rows count now."""
    return [
        f"INSERT INTO {DELTA} ({CELL}, {SUMMED}) "
        + _contributions(1, f"{VISITOR_ROWS} ev", f"{NEW_CONVERSIONS} vc", _quoted(counted))
    ]


def merge_delta(partition: Partition = WHOLE) -> list[str]:
    """Add the delta to the daily cells (a cell it does not change is not written), then
    drop the touched cells left with no visitor and no conversion (a rebuild has none).
    A partition first waits for the others' merges (the lock is held until its commit)."""
    changed = " OR ".join(f"SUM(d.{c}) <> 0" for c in SUMMED.split(", "))
    summed = ", ".join(f"SUM(d.{c})" for c in SUMMED.split(", "))
    added = ", ".join(f"{c} = {DR}.{c} + excluded.{c}" for c in SUMMED.split(", "))
    cell = ", ".join(f"d.{c}" for c in CELL.split(", "))
    lock = [f"SELECT pg_advisory_xact_lock({MERGE_LOCK_KEY})"] if partition.count > 1 else []
    return [
        *lock,
        f"INSERT INTO {DR} ({CELL}, {SUMMED}) SELECT {cell}, {summed} FROM {DELTA} d "
        f"WHERE true GROUP BY {cell} HAVING {changed} "
        f"ON CONFLICT (experiment, metric, day, arm, industry, variant) DO UPDATE SET {added}",
        f"DELETE FROM {DR} WHERE visitors = 0 AND conversions = 0 "
        f"AND (experiment, day) IN (SELECT experiment, day FROM {DELTA})",
    ]


def remember_cells_of_visitors(dialect: Dialect, count: int) -> list[str]:
    """The cells ``count`` given visitor ids count in (each statement with ``%s``: the ids,
    twice)."""
    marks = ", ".join(["%s"] * count)
    return dialect.temp_table(
        SCOPE,
        f"SELECT experiment, first_day AS day FROM {EV} WHERE visitor_id IN ({marks}) "
        f"UNION SELECT experiment, day FROM {VC} WHERE visitor_id IN ({marks})",
    )


def forget_visitor_rows(count: int) -> list[str]:
    """Delete the visitor-level rows of ``count`` given visitor ids (each takes the ids)."""
    marks = ", ".join(["%s"] * count)
    return [
        f"DELETE FROM {VC} WHERE visitor_id IN ({marks})",
        f"DELETE FROM {EV} WHERE visitor_id IN ({marks})",
    ]


def drop_scope(dialect: Dialect) -> list[str]:
    if dialect.vendor == "postgresql":
        return [f"TRUNCATE {SCOPE}"]
    return [f"DROP TABLE IF EXISTS {SCOPE}"]


def upsert_experiment_visitors(dialect: Dialect) -> str:
    """First exposure per experiment × visitor among the step's exposures."""
    columns = "x.id, x.visitor_id, x.industry, x.persona, x.consent, x.occurred_at, x.variant"
    holdout = f"'{HOLDOUT_EXPERIMENT}'"
    exposures = (
        f"SELECT {columns}, x.experiment AS experiment, x.arm AS arm FROM {EXPOSURES} x "
        f"WHERE x.experiment <> '' AND x.arm <> '' "
        f"UNION ALL "
        f"SELECT {columns}, {holdout} AS experiment, '{REST_ARM}' AS arm FROM {EXPOSURES} x "
        f"WHERE x.industry <> '' AND x.experiment <> {holdout}"
    )
    ranked = (
        f"SELECT y.*, ROW_NUMBER() OVER (PARTITION BY y.visitor_id, y.experiment "
        f"ORDER BY y.occurred_at, y.id) AS rn FROM ({exposures}) y"
    )
    updated = (
        "arm",
        "industry",
        "persona",
        "variant",
        "consent",
        "first_exposed_at",
        "first_day",
        "first_event_id",
    )
    assignments = ", ".join(f"{c} = excluded.{c}" for c in updated)
    return (
        f"INSERT INTO {EV} (experiment, visitor_id, arm, industry, persona, variant, consent, "
        f"first_exposed_at, first_day, first_event_id) "
        f"SELECT r.experiment, r.visitor_id, r.arm, r.industry, r.persona, r.variant, "
        f"r.consent, r.occurred_at, {dialect.day('r.occurred_at')}, r.id "
        f"FROM ({ranked}) r WHERE r.rn = 1 "
        f"ON CONFLICT (visitor_id, experiment) DO UPDATE SET {assignments} "
        f"WHERE excluded.first_exposed_at < {EV}.first_exposed_at "
        f"OR (excluded.first_exposed_at = {EV}.first_exposed_at "
        f"AND excluded.first_event_id < {EV}.first_event_id)"
    )


_VC_COLUMNS = (
    "experiment, visitor_id, metric, arm, industry, variant, consent, "
    "first_converted_at, day, events, value_sum"
)
_EV_COPY = "ev.experiment, ev.visitor_id"
_EV_TAIL = "ev.arm, ev.industry, ev.variant, ev.consent"
# The same columns when grouping by ev.id alone (one value per group; a short sort key).
_EV_ONE = "MIN(ev.experiment), MIN(ev.visitor_id)"
_EV_ONE_TAIL = "MIN(ev.arm), MIN(ev.industry), MIN(ev.variant), MIN(ev.consent)"


def load_visitor_histories(
    dialect: Dialect, lo: int, hi: int, partition: Partition = WHOLE
) -> list[Statement]:
    """The step's visitors' experiment rows (after the upsert), and the history of those
    with one: the step's events by id range, and (``lo > 0``) their earlier events through
    the visitor index. Later events (``id > hi``) are a later step's."""
    rows = dialect.temp_table(
        VISITOR_ROWS,
        f"SELECT ev.id, ev.experiment, ev.visitor_id, ev.arm, ev.industry, ev.variant, "
        f"ev.consent, ev.first_exposed_at, ev.first_day "
        f"FROM {VISITORS} rv CROSS JOIN {EV} ev WHERE ev.visitor_id = rv.visitor_id",
        "visitor_id",
    )
    columns = "e.visitor_id, e.type, e.variant, e.occurred_at, e.value"
    history = (
        f"SELECT {columns} FROM {EVENTS} e WHERE e.id > %s AND e.id <= %s AND e.visitor_id <> ''"
        f"{partition.of('e.visitor_id')}"
    )
    params: tuple[int, ...] = (lo, hi)
    if lo > 0:
        history += (
            f" UNION ALL SELECT {columns} FROM (SELECT DISTINCT visitor_id FROM {VISITOR_ROWS}) rv "
            f"CROSS JOIN {EVENTS} e WHERE e.visitor_id = rv.visitor_id AND e.id <= %s"
        )
        params = (lo, hi, lo)
    # SQLite joins through this index; PostgreSQL hashes the (analyzed) table instead, and
    # building the index cost it more than the joins.
    index = ("visitor_id, occurred_at",) if dialect.vendor == "sqlite" else ()
    events = dialect.temp_table(VISITOR_EVENTS, history, *index)
    return _bound(rows, ()) + _bound(events, params)


def derive_conversions(dialect: Dialect) -> list[str]:
    """Re-derive the VisitorConversion rows of the step's visitors into a staging table,
    and replace their rows with it."""
    facts = _quoted((*CONVERSION_EVENT_TYPES, ENGAGEMENT_EVENT_TYPE, FORM_START))
    interactions = _quoted((*CONVERSION_EVENT_TYPES, *INTERACTION_EVENT_TYPES))
    after_exposure = (
        f"FROM {VISITOR_ROWS} ev JOIN {VISITOR_EVENTS} e ON e.visitor_id = ev.visitor_id "
        f"AND e.occurred_at >= ev.first_exposed_at "
    )
    first = dialect.day("MIN(e.occurred_at)")
    event_day = dialect.day("e.occurred_at")
    staged = NEW_CONVERSIONS
    return [
        *dialect.temp_table(staged, f"SELECT {_VC_COLUMNS} FROM {VC} WHERE 1 = 0"),
        # Conversions, engagement seconds, and having started the contact form.
        f"INSERT INTO {staged} ({_VC_COLUMNS}) "
        f"SELECT {_EV_ONE}, e.type, {_EV_ONE_TAIL}, MIN(e.occurred_at), {first}, COUNT(*), "
        f"COALESCE(SUM(e.value), 0) {after_exposure}"
        f"WHERE e.type IN ({facts}) "
        f"GROUP BY ev.id, e.type",
        # Shown at least one personalized block (global holdout only).
        f"INSERT INTO {staged} ({_VC_COLUMNS}) "
        f"SELECT {_EV_ONE}, '{PERSONALIZED}', {_EV_ONE_TAIL}, MIN(e.occurred_at), {first}, "
        f"COUNT(*), 0 {after_exposure}"
        f"WHERE ev.experiment = '{HOLDOUT_EXPERIMENT}' AND e.type = '{EXPOSURE}' "
        f"AND e.variant <> '' AND e.variant <> '{GENERIC}' "
        f"GROUP BY ev.id",
        # Came back on a later day within the window.
        f"INSERT INTO {staged} ({_VC_COLUMNS}) "
        f"SELECT {_EV_ONE}, 'return_visit', {_EV_ONE_TAIL}, MIN(e.occurred_at), {first}, "
        f"COUNT(*), 0 FROM {VISITOR_ROWS} ev JOIN {VISITOR_EVENTS} e "
        f"ON e.visitor_id = ev.visitor_id AND e.type = '{PAGE_VIEW}' "
        f"WHERE {event_day} > ev.first_day "
        f"AND {event_day} <= {dialect.plus_days('ev.first_day', RETURN_WINDOW_DAYS)} "
        f"GROUP BY ev.id",
        # Bounced: one page view, no conversion event or form start, ever.
        *dialect.temp_table(
            BOUNCED,
            f"SELECT e.visitor_id FROM {VISITOR_EVENTS} e GROUP BY e.visitor_id "
            f"HAVING SUM(CASE WHEN e.type = '{PAGE_VIEW}' THEN 1 ELSE 0 END) = 1 "
            f"AND SUM(CASE WHEN e.type IN ({interactions}) "
            f"THEN 1 ELSE 0 END) = 0",
        ),
        f"INSERT INTO {staged} ({_VC_COLUMNS}) "
        f"SELECT {_EV_COPY}, 'bounce', {_EV_TAIL}, ev.first_exposed_at, ev.first_day, 1, 0 "
        f"FROM {BOUNCED} b JOIN {VISITOR_ROWS} ev ON ev.visitor_id = b.visitor_id",
        # Completed the form: started it (after exposure) and submitted it.
        *dialect.analyze(staged),
        f"INSERT INTO {staged} ({_VC_COLUMNS}) "
        f"SELECT s.experiment, s.visitor_id, 'form_completion', s.arm, s.industry, s.variant, "
        f"s.consent, s.first_converted_at, s.day, s.events, 0 FROM {staged} s "
        f"JOIN {staged} f ON f.visitor_id = s.visitor_id AND f.experiment = s.experiment "
        f"WHERE s.metric = 'form_submission' AND f.metric = '{FORM_START}'",
        # Replace the visitors' rows.
        f"DELETE FROM {VC} WHERE visitor_id IN (SELECT visitor_id FROM {VISITORS})",
        # In the unique index's order: each index page is visited once, not at random.
        f"INSERT INTO {VC} ({_VC_COLUMNS}) SELECT {_VC_COLUMNS} FROM {staged} "
        f"ORDER BY visitor_id, experiment, metric",
    ]


def recompute_daily_cells(counted: tuple[str, ...]) -> list[str]:
    """Delete and re-aggregate the DailyRollup rows of every remembered cell, counting only
    visitors whose consent (at first exposure) is one of ``counted`` (the consenting
    visitors under the site's consent mode: ``persx.privacy.consent.counted_states``)."""
    consenting = _quoted(counted)
    cells = f"(SELECT DISTINCT experiment, day FROM {SCOPE})"
    metric_rows = _metric_rows()
    group = "day, experiment, arm, industry, variant"
    exposed = (
        f"SELECT ev.first_day AS day, ev.experiment, ev.arm, ev.industry, ev.variant, "
        f"COUNT(*) AS visitors FROM {cells} s "
        f"CROSS JOIN {EV} ev WHERE ev.experiment = s.experiment AND ev.first_day = s.day "
        f"AND ev.consent IN ({consenting}) "
        f"GROUP BY ev.first_day, ev.experiment, ev.arm, ev.industry, ev.variant"
    )
    denominators = (
        f"SELECT g.day, g.experiment, g.arm, g.industry, g.variant, m.metric, "
        f"g.visitors, 0 AS conversions, 0.0 AS value_sum, 0.0 AS value_sum_sq "
        f"FROM ({exposed}) g CROSS JOIN ({metric_rows}) m "
        f"WHERE m.metric <> '{PERSONALIZED}' OR g.experiment = '{HOLDOUT_EXPERIMENT}'"
    )
    rollup_metric = _ROLLUP_METRIC
    numerators = (
        f"SELECT vc.day, vc.experiment, vc.arm, vc.industry, vc.variant, "
        f"{rollup_metric} AS metric, "
        f"SUM(CASE WHEN vc.metric = '{FORM_START}' THEN 1 ELSE 0 END) AS visitors, "
        f"SUM(CASE WHEN vc.metric = '{FORM_START}' THEN 0 ELSE 1 END) AS conversions, "
        f"SUM(vc.value_sum) AS value_sum, SUM(vc.value_sum * vc.value_sum) AS value_sum_sq "
        f"FROM {cells} s CROSS JOIN {VC} vc WHERE vc.experiment = s.experiment "
        f"AND vc.day = s.day AND vc.consent IN ({consenting}) "
        f"GROUP BY vc.day, vc.experiment, vc.arm, vc.industry, vc.variant, {rollup_metric}"
    )
    return [
        f"DELETE FROM {DR} WHERE (experiment, day) IN (SELECT experiment, day FROM {SCOPE})",
        f"INSERT INTO {DR} ({group}, metric, visitors, conversions, value_sum, value_sum_sq) "
        f"SELECT {group}, metric, SUM(visitors), SUM(conversions), SUM(value_sum), "
        f"SUM(value_sum_sq) FROM ({denominators} UNION ALL {numerators}) u "
        f"GROUP BY {group}, metric",
    ]


# The visitor tables' secondary indexes (by experiment and day): no step reads them (steps go
# by visitor, through the unique indexes); the erasure and the reports' per-visitor queries do.
_SECONDARY_INDEXES = tuple(
    (
        model._meta.db_table,
        str(index.name),
        ", ".join(
            str(field.column)
            for name in index.fields
            for field in model._meta.concrete_fields
            if field.name == name
        ),
    )
    for model in (ExperimentVisitor, VisitorConversion)
    for index in model._meta.indexes
)


def drop_secondary_indexes(dialect: Dialect) -> list[str]:
    """PostgreSQL, before a rebuild: its inserts then maintain the unique indexes only."""
    if dialect.vendor != "postgresql":
        return []
    return [f"DROP INDEX IF EXISTS {name}" for _, name, _ in _SECONDARY_INDEXES]


def create_missing_secondary_indexes(present: set[str]) -> list[str]:
    """The indexes a rebuild dropped (or a failed rebuild left dropped), built in one pass
    each; ``present``: the index names that exist."""
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
        for table, name, columns in _SECONDARY_INDEXES
        if name not in present
    ]


def secondary_index_names() -> tuple[str, ...]:
    return tuple(name for _, name, _ in _SECONDARY_INDEXES)


def analyze_rollups(dialect: Dialect) -> list[str]:
    """PostgreSQL, after a rebuild: fresh planner statistics for the tables it refilled.
    Autovacuum analyzes them only some time after the commit; until then the adjusted
    cells' count (run right after) planned for the emptied tables and took a nested loop
    per visitor: 396 s instead of 66 s at 10 M events."""
    if dialect.vendor != "postgresql":
        return []
    return [f"ANALYZE {EV}, {VC}, {DR}"]


def empty_rollups(dialect: Dialect) -> list[str]:
    """Empty the rollup tables for a rebuild: one statement each, not a delete per row
    (PostgreSQL: ``TRUNCATE``, which also returns their space at once)."""
    if dialect.vendor == "postgresql":
        return [f"TRUNCATE {DR}, {VC}, {EV}"]
    return [f"DELETE FROM {table}" for table in (DR, VC, EV)]


def drop_temp_tables(dialect: Dialect) -> list[str]:
    """SQLite: drop the step's temp tables; PostgreSQL: empty them (they are reused)."""
    if dialect.vendor == "postgresql":
        return [f"TRUNCATE {', '.join(TEMP_TABLES)}"]
    return [f"DROP TABLE IF EXISTS {name}" for name in TEMP_TABLES]
