"""The ClickHouse SQL that computes the reports' sufficient statistics from raw events.

It counts what the relational rollup (``persx/analytics/rollup_sql.py``) counts, over the
whole history at query time instead of incrementally:

1. ``entered``: each visitor's first exposure to each experiment (ties broken by arrival,
   then event id), with the arm, industry, variant (the would-be variant for a control
   visitor) and consent of that exposure; the global holdout also enters every profiled
   visitor exposed outside it, in the "rest" arm. Only counted consent states stay.
2. ``per_visitor``: the entered visitors' events, one aggregation per (experiment,
   visitor): for each counted metric its first day, number of events and Σ value after the
   exposure; bounce (exactly one page view, no interaction, ever) and form completion
   (started and submitted the form).
3. ``cells``: numerators from those rows by the conversion's day, denominators (every
   entered visitor, per metric) by the entry day: the rollup's (day, arm, industry,
   variant, metric) rows.

The same text runs through ``clickhouse-connect`` (a server or cluster) and chDB (ClickHouse
in-process, for tests and the bench): the statements take server-side parameters
(``{name:Type}``), and only the constants of :class:`~persx.eventstore.port.CountingRules`
are inlined (checked to hold no quote).
"""

from __future__ import annotations

from persx.eventstore.port import CountingRules

ENTERED_PARAMETERS = "{experiments:Array(String)}"
CONSENTS = "{counted:Array(String)}"
METRICS = "{metrics:Array(String)}"


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


def _per_visitor_metrics(rules: CountingRules) -> list[tuple[str, str, str]]:
    """(metric, condition on one event row, the value it adds) for each counted metric."""
    after = "occurred_at >= first_at"
    day = "toDate(occurred_at, 'UTC')"
    metrics = [(t, f"type = {_literal(t)} AND {after}", "value") for t in rules.fact_types]
    metrics.append(
        (
            rules.personalized,
            f"experiment = {_literal(rules.holdout_experiment)} "
            f"AND type = {_literal(rules.exposure)} AND {after} "
            f"AND shown != '' AND shown != {_literal(rules.generic_variant)}",
            "0",
        )
    )
    metrics.append(
        (
            rules.return_visit,
            f"type = {_literal(rules.page_view)} AND {day} > first_day "
            f"AND {day} <= first_day + {int(rules.return_window_days)}",
            "0",
        )
    )
    return metrics


def _per_visitor(table: str, rules: CountingRules) -> tuple[str, list[str]]:
    """One row per (experiment, visitor) with arrays of (day, events, Σ value) per metric,
    and the metric names in array order."""
    metrics = _per_visitor_metrics(rules)
    days = [f"toDate(minIf(occurred_at, {cond}), 'UTC')" for _, cond, _ in metrics]
    counts = [f"countIf({cond})" for _, cond, _ in metrics]
    sums = [f"toFloat64(sumIf({value}, {cond}))" for _, cond, value in metrics]
    names = [name for name, _, _ in metrics]
    start = names.index(rules.form_start)
    submitted = names.index(rules.form_submission)
    interactions = _array(rules.interaction_types)
    bounced = (
        f"countIf(type = {_literal(rules.page_view)}) = 1 AND countIf(type IN {interactions}) = 0"
    )
    # Bounce: the entry day, one "event"; form completion: the submission's row.
    days += ["any(first_day)", days[submitted]]
    counts += [f"toUInt64({bounced})", f"if({counts[start]} > 0, {counts[submitted]}, 0)"]
    sums += ["toFloat64(0)", "toFloat64(0)"]
    names += [rules.bounce, rules.form_completion]
    events = (
        f"SELECT n.experiment AS experiment, n.visitor_id AS visitor_id, n.arm AS arm, "
        f"n.industry AS industry, n.variant AS variant, n.first_at AS first_at, "
        f"n.first_day AS first_day, e.type AS type, e.variant AS shown, "
        f"e.occurred_at AS occurred_at, ifNull(e.value, 0) AS value "
        f"FROM (SELECT visitor_id, type, variant, occurred_at, value FROM {table} FINAL "
        f"WHERE visitor_id IN (SELECT visitor_id FROM entered)) AS e "
        f"INNER JOIN entered AS n ON e.visitor_id = n.visitor_id"
    )
    query = (
        f"SELECT experiment, visitor_id, any(arm) AS arm, any(industry) AS industry, "
        f"any(variant) AS variant, [{', '.join(days)}] AS days, "
        f"[{', '.join(counts)}] AS counts, [{', '.join(sums)}] AS sums "
        f"FROM ({events}) GROUP BY experiment, visitor_id"
    )
    return query, names


def cells_sql(table: str, rules: CountingRules) -> str:
    """The WITH clause defining ``cells`` (day, experiment, arm, industry, variant, metric,
    v, c, s, q) for the parameters ``experiments``, ``counted`` and ``metrics``."""
    per_visitor, names = _per_visitor(table, rules)
    start = _literal(rules.form_start)
    numerators = (
        f"SELECT day, experiment, arm, industry, variant, "
        f"if(fact = {start}, {_literal(rules.form_completion)}, fact) AS metric, "
        f"countIf(fact = {start}) AS v, countIf(fact != {start}) AS c, "
        f"sum(total) AS s, sum(total * total) AS q "
        f"FROM per_visitor ARRAY JOIN {_array(tuple(names))} AS fact, days AS day, "
        f"counts AS n, sums AS total WHERE n > 0 "
        f"GROUP BY day, experiment, arm, industry, variant, metric"
    )
    holdout = _literal(rules.holdout_experiment)
    denominators = (
        f"SELECT first_day AS day, experiment, arm, industry, variant, metric, "
        f"count() AS v, toUInt64(0) AS c, toFloat64(0) AS s, toFloat64(0) AS q "
        f"FROM entered ARRAY JOIN arrayConcat({_array(rules.all_visitor_metrics)}, "
        f"if(experiment = {holdout}, [{_literal(rules.personalized)}], [])) AS metric "
        f"GROUP BY day, experiment, arm, industry, variant, metric"
    )
    return (
        f"WITH entered AS ({_entered(table, rules)}), "
        f"per_visitor AS ({per_visitor}), "
        f"cells AS (SELECT day, experiment, arm, industry, variant, metric, sum(v) AS v, "
        f"sum(c) AS c, sum(s) AS s, sum(q) AS q FROM ({denominators} UNION ALL {numerators}) "
        f"WHERE has({METRICS}, metric) "
        f"GROUP BY day, experiment, arm, industry, variant, metric) "
    )


def grouped_sql(table: str, rules: CountingRules, keys: tuple[str, ...]) -> str:
    """The cells' sums grouped by ``keys`` (column names of ``cells``)."""
    group = ", ".join(keys)
    return (
        f"{cells_sql(table, rules)}SELECT {group}, sum(v), sum(c), sum(s), sum(q) "
        f"FROM cells GROUP BY {group} ORDER BY {group}"
    )


def visitors_sql(table: str, rules: CountingRules) -> str:
    """Counted visitors per (experiment, arm) for the parameters ``experiments``, ``counted``."""
    return (
        f"WITH entered AS ({_entered(table, rules)}) SELECT experiment, arm, count() "
        f"FROM entered GROUP BY experiment, arm ORDER BY experiment, arm"
    )
