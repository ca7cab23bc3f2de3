"""The ClickHouse SQL of the report cells: computed from the per-visitor aggregate by a
periodic refresh, read by the reports.

They count what the relational rollup (``persx/analytics/rollup_sql.py``) counts, and are
kept the rollup's way: incrementally, by a job (``ClickHouseEventStore.refresh_report_cells``,
run by ``manage.py persx_rollup``), so a report reads a few thousand precomputed rows
instead of doing per-visitor work over every visitor.

1. ``changed_*``: the visitors whose aggregate rows were written since the last refresh's
   watermark (``changed_at``, the server's clock at insert), and the experiments they
   entered (the global holdout always).
2. ``contributions_insert``, per experiment: for each of those visitors, one pass over its
   aggregate rows: its first exposure to the experiment (ties broken by arrival, then
   event id) with its arm, industry, variant (the would-be variant for a control visitor)
   and consent; the global holdout also enters every profiled visitor exposed outside it,
   in the "rest" arm. Then what the visitor adds to the cells, one tuple per metric
   (metric, day, visitors, converters, Σ value): its first day, whether it converted and
   Σ value after the exposure; bounce (exactly one page view, no interaction, ever), form
   completion (started and submitted the form), and the denominators (every entered
   visitor, per metric, on the entry day). Written with the refresh's number into a
   ReplacingMergeTree keyed by (rules, experiment, visitor): the newest refresh wins.
3. ``cells_insert``: the experiment's contributions of counted visitors summed by (day,
   arm, industry, variant, metric): the rollup's rows, as a new set; older sets go.
4. ``cells_select`` / ``visitors_per_arm_select``: what the reports read (the newest set).

The same text runs through ``clickhouse-connect`` (a server or cluster) and chDB (ClickHouse
in-process, for tests and the bench): the statements take server-side parameters
(``{name:Type}``), and only the constants of :class:`~persx.eventstore.port.CountingRules`
are inlined (checked to hold no quote).
"""

from __future__ import annotations

import hashlib

from persx.eventstore.port import CountingRules

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


EXPERIMENT = "{experiment:String}"
RULES_KEY = "{rules_key:String}"
REFRESH = "{refresh:UInt64}"
SINCE = "fromUnixTimestamp64Micro({since:Int64}, 'UTC')"


def rules_key(rules: CountingRules) -> str:
    """The counting rules' fingerprint: contributions and cells are kept per rules (a change
    of consent mode, say, makes the next refresh a full one). Only rules the aggregate can
    count have one."""
    _check_aggregate_rules(rules)
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:16]


def changed_visitors(table: str) -> str:
    """The visitors whose aggregate rows were written at or after ``since``."""
    return f"SELECT DISTINCT visitor_id FROM {table} WHERE changed_at >= {SINCE}"


def changed_count_select(table: str) -> str:
    return f"SELECT count() FROM ({changed_visitors(table)})"


def changed_experiments_select(table: str) -> str:
    """The experiments the changed visitors were exposed to (the holdout is added apart)."""
    return (
        f"SELECT DISTINCT experiment FROM {table} WHERE experiment != '' "
        f"AND visitor_id IN ({changed_visitors(table)}) ORDER BY experiment"
    )


def _visitors(table: str, rules: CountingRules, changed_only: bool) -> str:
    """Each entered visitor of the experiment (all of them, or those changed since
    ``since``), from the per-visitor aggregate (one row per visitor after merging its
    rows): its first entry and its events as the metrics read them, ``evs`` (type, time,
    value, variant): every fact, the blocks shown, and one page view per day with a page
    view (the only page-view fact a metric reads)."""
    _check_aggregate_rules(rules)
    facts = "arrayMap(f -> (f.2, f.3, f.4, ''), groupUniqArrayMerge(facts))"
    shown = f"arrayMap(x -> ({_literal(rules.exposure)}, x.1, 0., x.2), groupUniqArrayMerge(shown))"
    days = (
        f"arrayMap(d -> ({_literal(rules.page_view)}, toDateTime64(d, 6, 'UTC'), 0., ''), "
        f"groupUniqArrayMerge(page_view_days))"
    )
    where = f"WHERE visitor_id IN ({changed_visitors(table)}) " if changed_only else ""
    return (
        f"SELECT visitor_id, {_first(EXPERIMENT, rules)}, first.1 AS first_at, "
        f"toDate(first_at, 'UTC') AS first_day, "
        f"first.4 AS arm, first.5 AS industry, first.6 AS variant, first.7 AS consent, "
        f"max(last_at) AS seen_at, "
        f"arrayConcat({facts}, {shown}, {days}) AS evs, "
        f"length(groupUniqArrayMerge(2)(page_view_ids)) AS page_views, "
        f"toUInt64(arrayExists(e -> e.1 IN {_array(rules.interaction_types)}, evs)) "
        f"AS interactions "
        f"FROM {table} {where}GROUP BY visitor_id HAVING first_at != {ZERO}"
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
    """Per entered visitor, what it adds to the cells: tuples (metric, day, visitors,
    converters, Σ value), from one (metric, day, events, Σ value, is denominator) per
    metric (what the rollup's VisitorConversion rows and denominators hold): a denominator
    adds a visitor on the entry day, a form start a visitor to form completion on its day,
    any other metric with events a converter and its Σ value on its first day."""
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
    start = _literal(rules.form_start)
    as_cells = (
        f"(if(x.1 = {start}, {_literal(rules.form_completion)}, x.1), x.2, "
        f"toUInt8(x.5 = 1 OR x.1 = {start}), toUInt8(x.5 = 0 AND x.1 != {start}), "
        f"if(x.5 = 0, x.4, 0.))"
    )
    return f"arrayMap(x -> {as_cells}, arrayFilter(x -> x.3 > 0, [{', '.join(items)}]))"


def contributions_insert(
    visitors: str, contributions: str, rules: CountingRules, changed_only: bool = True
) -> str:
    """Rewrite the contributions to one experiment of its visitors changed since ``since``
    (of every entered visitor without ``changed_only``: the first refresh under these
    rules), numbered ``refresh``."""
    counted = f"has({CONSENTS}, consent)"
    return (
        f"INSERT INTO {contributions} (rules_key, experiment, visitor_id, refresh, counted, "
        f"arm, industry, variant, last_at, x) "
        f"SELECT {RULES_KEY}, {EXPERIMENT}, visitor_id, {REFRESH}, {counted}, arm, industry, "
        f"variant, seen_at, {_contributions(rules)} "
        f"FROM ({_visitors(visitors, rules, changed_only)})"
    )


def cells_insert(contributions: str, cells: str) -> str:
    """One experiment's cells from its counted visitors' contributions, as set ``refresh``:
    (day, arm, industry, variant, metric, visitors, converters, Σ value, Σ value²), the
    rollup's rows, numerators by the conversion's day and denominators by the entry day."""
    return (
        f"INSERT INTO {cells} (rules_key, experiment, refresh, day, arm, industry, variant, "
        f"metric, v, c, s, q) "
        f"SELECT {RULES_KEY}, {EXPERIMENT}, {REFRESH}, x.day AS day, arm, industry, variant, "
        f"x.metric AS metric, sum(x.v), sum(x.c), sum(x.s), sum(x.s * x.s) "
        f"FROM {contributions} FINAL ARRAY JOIN x "
        f"WHERE rules_key = {RULES_KEY} AND experiment = {EXPERIMENT} AND counted "
        f"GROUP BY day, arm, industry, variant, metric"
    )


def older_cells_delete(cells: str) -> str:
    """The experiment's sets older than ``refresh`` (the reports read the newest)."""
    return (
        f"DELETE FROM {cells} WHERE rules_key = {RULES_KEY} AND experiment = {EXPERIMENT} "
        f"AND refresh < {REFRESH}"
    )


def _newest(cells: str, experiments: str) -> str:
    return (
        f"(experiment, refresh) IN (SELECT experiment, max(refresh) FROM {cells} "
        f"WHERE rules_key = {RULES_KEY} AND {experiments} GROUP BY experiment)"
    )


def cells_select(cells: str) -> str:
    """Every cell of one experiment's newest set: (day, arm, industry, variant, metric, v,
    c, s, q), in one read (the set and its number come from one snapshot of the table)."""
    mine = f"rules_key = {RULES_KEY} AND experiment = {EXPERIMENT}"
    return (
        f"SELECT day, arm, industry, variant, metric, v, c, s, q FROM {cells} "
        f"WHERE {mine} AND refresh = (SELECT max(refresh) FROM {cells} WHERE {mine})"
    )


def visitors_per_arm_select(cells: str, rules: CountingRules) -> str:
    """Counted visitors per (experiment, arm) for the parameter ``experiments``: the
    denominators of the first every-visitor metric, as the relational store counts them."""
    asked = "has({experiments:Array(String)}, experiment)"
    return (
        f"SELECT experiment, arm, sum(v) FROM {cells} WHERE rules_key = {RULES_KEY} "
        f"AND {asked} AND metric = {_literal(rules.all_visitor_metrics[0])} "
        f"AND {_newest(cells, asked)} GROUP BY experiment, arm ORDER BY experiment, arm"
    )
