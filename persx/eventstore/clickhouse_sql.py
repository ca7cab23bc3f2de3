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
AGGREGATE_EXPOSURE = "exposure"  # the event types deploy/clickhouse/visitor_aggregate_select.sql
AGGREGATE_PAGE_VIEW = "page_view"  # names
CONSENTS = "{counted:Array(String)}"


def _literal(value: str) -> str:
    if "'" in value or "\\" in value:  # constants only; never user input
        raise ValueError(f"unexpected quote in SQL constant {value!r}")
    return f"'{value}'"


def _array(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


ZERO = "toDateTime64(0, 6, 'UTC')"  # an empty min state's time: no such exposure


def _check_aggregate_rules(rules: CountingRules) -> None:
    """The aggregate's materialized view names two event types (see its SQL file)."""
    if (rules.exposure, rules.page_view) != (AGGREGATE_EXPOSURE, AGGREGATE_PAGE_VIEW):
        raise ValueError(
            f"the visitor aggregate counts {AGGREGATE_EXPOSURE!r} and {AGGREGATE_PAGE_VIEW!r}"
            f" events, not {rules.exposure!r} and {rules.page_view!r}"
        )


def _first(experiment: str, rules: CountingRules) -> str:
    """Over one visitor's aggregate rows: the first entry into ``experiment`` (a SQL
    expression), a tuple (time, arrival, event id, arm, industry, shown, consent); its
    time is ZERO when the visitor never entered. The global holdout's entries are its own
    exposures with an arm and every profiled exposure outside it (arm "rest")."""
    holdout = _literal(rules.holdout_experiment)
    armed = f"minMergeIf(armed, experiment = {experiment})"
    profiled = f"minMergeIf(profiled, {experiment} = {holdout} AND experiment != {holdout})"
    rest = f"(p.1, p.2, p.3, {_literal(rules.rest_arm)}, p.5, p.6, p.7)"
    return (
        f"{armed} AS a, {profiled} AS p, "
        f"if(a.1 = {ZERO} OR (p.1 != {ZERO} AND {rest} < a), {rest}, a) AS first"
    )


def _entered(table: str, rules: CountingRules) -> str:
    """First entry per (experiment, visitor) of the asked experiments, counted ones."""
    _check_aggregate_rules(rules)
    holdout = _literal(rules.holdout_experiment)
    entries = (
        f"SELECT experiment, minMerge(armed) AS first FROM {table} "
        f"WHERE has({ENTERED_PARAMETERS}, experiment) AND experiment != {holdout} "
        f"GROUP BY experiment, visitor_id "
        f"UNION ALL "
        f"SELECT {holdout} AS experiment, first FROM (SELECT {_first(holdout, rules)} "
        f"FROM {table} WHERE has({ENTERED_PARAMETERS}, {holdout}) GROUP BY visitor_id)"
    )
    return (
        f"SELECT experiment, first.4 AS arm FROM ({entries}) "
        f"WHERE first.1 != {ZERO} AND has({CONSENTS}, first.7)"
    )


EXPERIMENT = "{experiment:String}"


def _visitors(table: str, rules: CountingRules) -> str:
    """Each entered visitor of the experiment, from the per-visitor aggregate (one row per
    visitor after merging its rows): its first entry and its events as the metrics read
    them, ``evs`` (type, time, value, variant): every fact, the blocks shown, and one
    page view per day with a page view (the only page-view fact a metric reads)."""
    _check_aggregate_rules(rules)
    facts = "arrayMap(f -> (f.2, f.3, f.4, ''), groupUniqArrayMerge(facts))"
    shown = f"arrayMap(x -> ({_literal(rules.exposure)}, x.1, 0., x.2), groupUniqArrayMerge(shown))"
    days = (
        f"arrayMap(d -> ({_literal(rules.page_view)}, toDateTime64(d, 6, 'UTC'), 0., ''), "
        f"groupUniqArrayMerge(page_view_days))"
    )
    return (
        f"SELECT {_first(EXPERIMENT, rules)}, first.1 AS first_at, "
        f"toDate(first_at, 'UTC') AS first_day, "
        f"first.4 AS arm, first.5 AS industry, first.6 AS variant, "
        f"arrayConcat({facts}, {shown}, {days}) AS evs, "
        f"length(groupUniqArrayMerge(2)(page_view_ids)) AS page_views, "
        f"toUInt64(arrayExists(e -> e.1 IN {_array(rules.interaction_types)}, evs)) "
        f"AS interactions "
        f"FROM {table} GROUP BY visitor_id "
        f"HAVING first_at != {ZERO} AND has({CONSENTS}, first.7)"
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
        f"SELECT experiment, arm, count() FROM ({_entered(table, rules)}) "
        f"GROUP BY experiment, arm ORDER BY experiment, arm"
    )
