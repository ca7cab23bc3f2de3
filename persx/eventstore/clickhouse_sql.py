"""The ClickHouse SQL that computes the reports' sufficient statistics from raw events.

It counts what the relational rollup (``persx/analytics/rollup_sql.py``) counts, over the
whole history at query time instead of incrementally:

1. One pass over the events grouped by visitor (the table's sort order, so the grouping
   streams): the visitor's first exposure to the experiment (ties broken by arrival, then
   event id) with its arm, industry, variant (the would-be variant for a control visitor)
   and consent; the global holdout also enters every profiled visitor exposed outside it,
   in the "rest" arm. Only entered visitors in counted consent states stay, each with the
   events the metrics read (an array) and their page-view and interaction counts.
2. Per visitor, one tuple per metric (``ARRAY JOIN``): its first day, number of events and
   Σ value after the exposure; bounce (exactly one page view, no interaction, ever), form
   completion (started and submitted the form), and the denominators (every entered
   visitor, per metric, on the entry day).
3. ``cells``: those summed by (day, arm, industry, variant, metric): the rollup's rows.

``visitors_sql`` (listings: visitors per arm of several experiments) reads exposures only.

The same text runs through ``clickhouse-connect`` (a server or cluster) and chDB (ClickHouse
in-process, for tests and the bench): the statements take server-side parameters
(``{name:Type}``), and only the constants of :class:`~persx.eventstore.port.CountingRules`
are inlined (checked to hold no quote).
"""

from __future__ import annotations

from persx.eventstore.port import CountingRules

ENTERED_PARAMETERS = "{experiments:Array(String)}"
CONSENTS = "{counted:Array(String)}"


def _literal(value: str) -> str:
    if "'" in value or "\\" in value:  # constants only; never user input
        raise ValueError(f"unexpected quote in SQL constant {value!r}")
    return f"'{value}'"


def _array(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _entered(table: str, rules: CountingRules) -> str:
    """First exposure per (experiment, visitor) of the asked experiments, counted ones."""
    holdout = _literal(rules.holdout_experiment)
    shown = "if(would_be != '', would_be, variant)"
    columns = f"visitor_id, industry, consent, occurred_at, received_at, event_id, {shown} AS shown"
    exposures = (
        f"SELECT experiment, arm, {columns} FROM {table} FINAL "
        f"WHERE type = {_literal(rules.exposure)} AND visitor_id != '' AND arm != '' "
        f"AND has({ENTERED_PARAMETERS}, experiment) "
        f"UNION ALL "
        # The outer names shadow the table's columns, so the filter runs inside.
        f"SELECT {holdout} AS experiment, {_literal(rules.rest_arm)} AS arm, {columns} "
        f"FROM (SELECT * FROM {table} FINAL "
        f"WHERE has({ENTERED_PARAMETERS}, {holdout}) AND type = {_literal(rules.exposure)} "
        f"AND visitor_id != '' AND industry != '' AND experiment != {holdout})"
    )
    return (
        f"SELECT experiment, visitor_id, first.1 AS arm, first.2 AS industry, "
        f"first.3 AS variant, first_at, toDate(first_at, 'UTC') AS first_day FROM ("
        f"SELECT experiment, visitor_id, min(occurred_at) AS first_at, "
        f"argMin((arm, industry, shown, consent), (occurred_at, received_at, event_id)) "
        f"AS first FROM ({exposures}) GROUP BY experiment, visitor_id) "
        f"WHERE has({CONSENTS}, first.4)"
    )


EXPERIMENT = "{experiment:String}"


def _visitors(table: str, rules: CountingRules) -> str:
    """One pass over the events, grouped by visitor (the table's sort order): each entered
    visitor's first exposure to the experiment and the events the metrics read."""
    holdout = _literal(rules.holdout_experiment)
    exposure = _literal(rules.exposure)
    relevant = _array((*rules.fact_types, rules.exposure, rules.page_view))
    entry = (
        f"type = {exposure} AND ((experiment = {EXPERIMENT} AND arm != '') OR "
        f"({EXPERIMENT} = {holdout} AND industry != '' AND experiment != {holdout}))"
    )
    rows = (
        f"SELECT visitor_id, type, occurred_at, received_at, event_id, "
        f"industry AS its_industry, consent AS its_consent, variant AS its_variant, "
        f"ifNull(value, 0) AS amount, if(would_be != '', would_be, variant) AS shown, "
        f"{entry} AS entry, if(experiment = {EXPERIMENT}, arm, {_literal(rules.rest_arm)}) "
        f"AS entry_arm FROM {table} FINAL WHERE visitor_id != ''"
    )
    return (
        f"SELECT minIf(occurred_at, entry) AS first_at, toDate(first_at, 'UTC') AS first_day, "
        f"argMinIf((entry_arm, its_industry, shown, its_consent), "
        f"(occurred_at, received_at, event_id), entry) AS first, "
        f"first.1 AS arm, first.2 AS industry, first.3 AS variant, "
        f"groupArrayIf((type, occurred_at, amount, its_variant), type IN {relevant}) AS evs, "
        f"countIf(type = {_literal(rules.page_view)}) AS page_views, "
        f"countIf(type IN {_array(rules.interaction_types)}) AS interactions "
        f"FROM ({rows}) GROUP BY visitor_id "
        f"HAVING countIf(entry) > 0 AND has({CONSENTS}, first.4)"
    )


def _metric_conditions(rules: CountingRules) -> list[tuple[str, str, bool]]:
    """(metric, condition on one collected event ``e``, whether its value is summed)."""
    after = "e.2 >= first_at"
    day = "toDate(e.2, 'UTC')"
    metrics = [(t, f"e.1 = {_literal(t)} AND {after}", True) for t in rules.fact_types]
    metrics.append(
        (
            rules.personalized,
            f"{EXPERIMENT} = {_literal(rules.holdout_experiment)} "
            f"AND e.1 = {_literal(rules.exposure)} AND {after} "
            f"AND e.4 != '' AND e.4 != {_literal(rules.generic_variant)}",
            False,
        )
    )
    metrics.append(
        (
            rules.return_visit,
            f"e.1 = {_literal(rules.page_view)} AND {day} > first_day "
            f"AND {day} <= first_day + {int(rules.return_window_days)}",
            False,
        )
    )
    return metrics


def _contributions(rules: CountingRules) -> str:
    """Per entered visitor, one tuple (metric, day, events, Σ value, is denominator) per
    metric: what the rollup's VisitorConversion rows and denominators hold."""
    conditions = _metric_conditions(rules)
    names = [name for name, _, _ in conditions]
    matched = [f"arrayFilter(e -> {cond}, evs)" for _, cond, _ in conditions]
    days = [
        f"if(empty({m}), first_day, toDate(arrayMin(arrayMap(e -> e.2, {m})), 'UTC'))"
        for m in matched
    ]
    items = [
        f"({_literal(name)}, {day}, length({m}), "
        f"toFloat64({f'arraySum(arrayMap(e -> e.3, {m}))' if summed else '0'}), 0)"
        for name, m, day, (_, _, summed) in zip(names, matched, days, conditions, strict=True)
    ]
    started = matched[names.index(rules.form_start)]
    submitted = names.index(rules.form_submission)
    bounced = "page_views = 1 AND interactions = 0"
    # Bounce: on the entry day; form completion: the submission's, when the form was started.
    items.append(f"({_literal(rules.bounce)}, first_day, toUInt64({bounced}), toFloat64(0), 0)")
    items.append(
        f"({_literal(rules.form_completion)}, {days[submitted]}, "
        f"if(empty({started}), 0, length({matched[submitted]})), toFloat64(0), 0)"
    )
    holdout = _literal(rules.holdout_experiment)
    for metric in (*rules.all_visitor_metrics, rules.personalized):
        counted = "1" if metric != rules.personalized else f"{EXPERIMENT} = {holdout}"
        items.append(f"({_literal(metric)}, first_day, toUInt64({counted}), toFloat64(0), 1)")
    return "[" + ", ".join(items) + "]"


def cells_sql(table: str, rules: CountingRules) -> str:
    """The WITH clause defining ``cells`` (day, arm, industry, variant, metric, v, c, s, q)
    of one experiment, for the parameters ``experiment`` and ``counted``: the
    rollup's rows, numerators by the conversion's day and denominators by the entry day."""
    start = _literal(rules.form_start)
    numerator = f"x.5 = 0 AND x.1 = {start}"
    return (
        f"WITH cells AS (SELECT x.2 AS day, arm, industry, variant, "
        f"if(x.1 = {start}, {_literal(rules.form_completion)}, x.1) AS metric, "
        f"countIf(x.5 = 1 OR {numerator}) AS v, countIf(x.5 = 0 AND x.1 != {start}) AS c, "
        f"sumIf(x.4, x.5 = 0) AS s, sumIf(x.4 * x.4, x.5 = 0) AS q "
        f"FROM ({_visitors(table, rules)}) "
        f"ARRAY JOIN {_contributions(rules)} AS x WHERE x.3 > 0 "
        f"GROUP BY day, arm, industry, variant, metric) "
    )


def cells_query(table: str, rules: CountingRules) -> str:
    """Every cell of one experiment: (day, arm, industry, variant, metric, v, c, s, q)."""
    return f"{cells_sql(table, rules)}SELECT * FROM cells"


def visitors_sql(table: str, rules: CountingRules) -> str:
    """Counted visitors per (experiment, arm) for the parameters ``experiments``, ``counted``."""
    return (
        f"WITH entered AS ({_entered(table, rules)}) SELECT experiment, arm, count() "
        f"FROM entered GROUP BY experiment, arm ORDER BY experiment, arm"
    )
