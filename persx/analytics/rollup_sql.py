"""The set-based SQL of one rollup step, for SQLite and PostgreSQL.

One step takes the events with ``lo < id <= hi`` and:

1. collects the visitors those events belong to (temp table ``persx_rollup_visitors``) and
   the step's exposures (``persx_rollup_exposures``), both by primary-key range;
2. remembers which (experiment, day) cells those visitors currently count in;
3. upserts :class:`ExperimentVisitor` from the new exposures (an earlier exposure that
   arrives late replaces a later one: the first exposure wins whatever the arrival order);
4. copies every event of those visitors once (``persx_rollup_visitor_events``) and
   re-derives their :class:`VisitorConversion` rows from it (so a conversion stored before
   its exposure was flushed still counts once the exposure arrives);
5. recomputes :class:`DailyRollup` for every (experiment, day) cell touched before or after.

Each statement is an ``INSERT … SELECT`` / ``DELETE`` over indexed joins: no per-event
Python. The big tables are only ever read through the primary key or a visitor index (the
temp tables fix the access path: a planner without statistics would otherwise walk an
index over every event of a type). Every step is idempotent, so folding the same ids twice
changes nothing (the incremental update relies on that to re-read a short tail on
PostgreSQL).

Only constants of this module are inlined into the SQL text; the id range is a parameter.
"""

from __future__ import annotations

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
SCOPE = "persx_rollup_scope"
BOUNCED = "persx_rollup_bounced"
TEMP_TABLES = (VISITORS, EXPOSURES, VISITOR_EVENTS, VISITOR_ROWS, SCOPE, BOUNCED)


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


def collect(dialect: Dialect) -> list[str]:
    """The step's visitors and exposures (each parameterised statement takes lo, hi)."""
    exposure = dialect.not_indexed("type")
    return [
        *dialect.temp_table(
            VISITORS,
            f"SELECT DISTINCT visitor_id FROM {EVENTS} "
            f"WHERE id > %s AND id <= %s AND visitor_id <> ''",
            "visitor_id",
        ),
        *dialect.temp_table(
            EXPOSURES,
            f"SELECT id, visitor_id, industry, persona, consent, occurred_at, experiment, arm, "
            f"COALESCE(NULLIF(would_be, ''), variant) AS variant FROM {EVENTS} "
            f"WHERE id > %s AND id <= %s AND {exposure} = '{EXPOSURE}' AND visitor_id <> ''",
        ),
    ]


def _cells_of_visitors() -> str:
    # CROSS JOIN: SQLite keeps the small temp table as the outer loop (PostgreSQL: a join).
    return (
        f"SELECT ev.experiment, ev.first_day AS day FROM {VISITORS} rv "
        f"CROSS JOIN {EV} ev WHERE ev.visitor_id = rv.visitor_id "
        f"UNION SELECT vc.experiment, vc.day FROM {VISITORS} rv "
        f"CROSS JOIN {VC} vc WHERE vc.visitor_id = rv.visitor_id"
    )


def remember_cells_before(dialect: Dialect) -> list[str]:
    return dialect.temp_table(SCOPE, _cells_of_visitors())


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


def remember_cells_after(dialect: Dialect) -> list[str]:
    statements = [f"INSERT INTO {SCOPE} (experiment, day) {_cells_of_visitors()}"]
    if dialect.vendor == "postgresql":
        statements.append(f"ANALYZE {SCOPE}")
    return statements


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
        f"SELECT y.*, ROW_NUMBER() OVER (PARTITION BY y.experiment, y.visitor_id "
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


def load_visitor_histories(dialect: Dialect) -> list[str]:
    """Every event, and every experiment row, of the step's visitors (after the upsert)."""
    return [
        *dialect.temp_table(
            VISITOR_EVENTS,
            f"SELECT e.visitor_id, e.type, e.block, e.variant, e.occurred_at, e.value "
            f"FROM {VISITORS} rv CROSS JOIN {EVENTS} e WHERE e.visitor_id = rv.visitor_id",
            "visitor_id, occurred_at",
        ),
        *dialect.temp_table(
            VISITOR_ROWS,
            f"SELECT ev.id, ev.experiment, ev.visitor_id, ev.arm, ev.industry, ev.variant, "
            f"ev.consent, ev.first_exposed_at, ev.first_day "
            f"FROM {VISITORS} rv CROSS JOIN {EV} ev WHERE ev.visitor_id = rv.visitor_id",
            "visitor_id",
        ),
    ]


def recompute_conversions(dialect: Dialect) -> list[str]:
    """Delete and re-derive the VisitorConversion rows of the step's visitors."""
    facts = _quoted((*CONVERSION_EVENT_TYPES, ENGAGEMENT_EVENT_TYPE, FORM_START))
    interactions = _quoted((*CONVERSION_EVENT_TYPES, *INTERACTION_EVENT_TYPES))
    after_exposure = (
        f"FROM {VISITOR_ROWS} ev JOIN {VISITOR_EVENTS} e ON e.visitor_id = ev.visitor_id "
        f"AND e.occurred_at >= ev.first_exposed_at "
    )
    first = dialect.day("MIN(e.occurred_at)")
    event_day = dialect.day("e.occurred_at")
    return [
        f"DELETE FROM {VC} WHERE visitor_id IN (SELECT visitor_id FROM {VISITORS})",
        # Conversions, engagement seconds, and having started the contact form.
        f"INSERT INTO {VC} ({_VC_COLUMNS}) "
        f"SELECT {_EV_ONE}, e.type, {_EV_ONE_TAIL}, MIN(e.occurred_at), {first}, COUNT(*), "
        f"COALESCE(SUM(e.value), 0) {after_exposure}"
        f"WHERE e.type IN ({facts}) "
        f"GROUP BY ev.id, e.type",
        # Shown at least one personalized block (global holdout only).
        f"INSERT INTO {VC} ({_VC_COLUMNS}) "
        f"SELECT {_EV_ONE}, '{PERSONALIZED}', {_EV_ONE_TAIL}, MIN(e.occurred_at), {first}, "
        f"COUNT(*), 0 {after_exposure}"
        f"WHERE ev.experiment = '{HOLDOUT_EXPERIMENT}' AND e.type = '{EXPOSURE}' "
        f"AND e.variant <> '' AND e.variant <> '{GENERIC}' "
        f"GROUP BY ev.id",
        # Came back on a later day within the window.
        f"INSERT INTO {VC} ({_VC_COLUMNS}) "
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
        f"INSERT INTO {VC} ({_VC_COLUMNS}) "
        f"SELECT {_EV_COPY}, 'bounce', {_EV_TAIL}, ev.first_exposed_at, ev.first_day, 1, 0 "
        f"FROM {BOUNCED} b JOIN {VISITOR_ROWS} ev ON ev.visitor_id = b.visitor_id",
        # Completed the form: started it (after exposure) and submitted it.
        f"INSERT INTO {VC} ({_VC_COLUMNS}) "
        f"SELECT s.experiment, s.visitor_id, 'form_completion', s.arm, s.industry, s.variant, "
        f"s.consent, s.first_converted_at, s.day, s.events, 0 FROM {VISITORS} rv "
        f"CROSS JOIN {VC} s CROSS JOIN {VC} f "
        f"WHERE s.visitor_id = rv.visitor_id AND s.metric = 'form_submission' "
        f"AND f.visitor_id = s.visitor_id AND f.experiment = s.experiment "
        f"AND f.metric = '{FORM_START}'",
    ]


def recompute_daily_cells(counted: tuple[str, ...]) -> list[str]:
    """Delete and re-aggregate the DailyRollup rows of every remembered cell, counting only
    visitors whose consent (at first exposure) is one of ``counted`` (the consenting
    visitors under the site's consent mode: ``persx.privacy.consent.counted_states``)."""
    consenting = _quoted(counted)
    cells = f"(SELECT DISTINCT experiment, day FROM {SCOPE})"
    metric_rows = " UNION ALL ".join(f"SELECT '{m}' AS metric" for m in ALL_VISITOR_METRICS)
    metric_rows += f" UNION ALL SELECT '{PERSONALIZED}' AS metric"
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
    rollup_metric = (
        f"CASE WHEN vc.metric = '{FORM_START}' THEN 'form_completion' ELSE vc.metric END"
    )
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


def drop_temp_tables(dialect: Dialect) -> list[str]:
    """SQLite: drop the step's temp tables; PostgreSQL: empty them (they are reused)."""
    if dialect.vendor == "postgresql":
        return [f"TRUNCATE {', '.join(TEMP_TABLES)}"]
    return [f"DROP TABLE IF EXISTS {name}" for name in TEMP_TABLES]
