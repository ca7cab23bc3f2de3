-- What one batch of raw events adds to the per-visitor aggregate ({table}_visitors): the
-- body of the materialized view and of the backfill (persx/eventstore/schema.py fills
-- {source}: the raw table the rows come from). One row per (visitor, experiment of an
-- exposure; '' for every other event), every column an idempotent state (min, distinct
-- sets), so a replayed event or a backfill over rows the view already took adds nothing.
-- 'exposure' and 'page_view' are the counting rules' event types
-- (persx.analytics.rollup_statistics.counting_rules; the store refuses other rules).
SELECT
    visitor_id,
    if(type = 'exposure', toString(experiment), '') AS experiment,
    -- The first exposure (by time, then arrival, then id) with an arm, and the first one of
    -- a profiled visitor (industry known: the global holdout's "rest" entry).
    minStateIf(
        (occurred_at, received_at, event_id, toString(arm), toString(industry),
         toString(if(would_be != '', would_be, variant)), toString(consent)),
        type = 'exposure' AND arm != '') AS armed,
    minStateIf(
        (occurred_at, received_at, event_id, toString(arm), toString(industry),
         toString(if(would_be != '', would_be, variant)), toString(consent)),
        type = 'exposure' AND industry != '') AS profiled,
    -- Up to two page views (a bounce is exactly one), and the days with a page view.
    groupUniqArrayStateIf(2)(event_id, type = 'page_view') AS page_view_ids,
    groupUniqArrayStateIf(toDate(occurred_at, 'UTC'), type = 'page_view') AS page_view_days,
    -- Every other event (conversions, engagement, form starts, ...): counted at query time
    -- against the first exposure, whatever order the events arrived in.
    groupUniqArrayStateIf(
        (event_id, toString(type), occurred_at, ifNull(value, 0)),
        type NOT IN ('exposure', 'page_view')) AS facts,
    -- The blocks shown (time, variant): the global holdout's "personalized" metric.
    groupUniqArrayStateIf((occurred_at, toString(variant)), type = 'exposure' AND variant != '')
        AS shown,
    max(occurred_at) AS last_at,
    -- When the row was written (the server's clock): the report cells' refresh takes the
    -- visitors changed since its watermark (persx/eventstore/clickhouse_sql.py).
    max(now64(6, 'UTC')) AS changed_at
FROM {source}
WHERE visitor_id != ''
GROUP BY visitor_id, experiment
