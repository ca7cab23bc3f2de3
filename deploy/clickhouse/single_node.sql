-- PersX raw events on one ClickHouse server (persx/eventstore; `manage.py persx_clickhouse_schema`).
-- {database}, {table} and {ttl} are filled in by persx/eventstore/schema.py.
--
-- ReplacingMergeTree: a client may resend a batch (it retries until it gets a 2xx), so the
-- same event_id can arrive twice; rows with the same sorting key collapse into one when
-- parts merge, and the statistics read the table with FINAL, so a replay counts once
-- before any merge too. The sorting key starts with visitor_id: the report queries group
-- every visitor's events together, and a replayed event has the same visitor and time.
-- Monthly partitions match PostgreSQL's and let retention drop whole parts.
CREATE DATABASE IF NOT EXISTS {database};

CREATE TABLE IF NOT EXISTS {database}.{table}
(
    event_id UUID,
    type LowCardinality(String),
    visitor_id String,
    occurred_at DateTime64(6, 'UTC'),
    received_at DateTime64(6, 'UTC'),
    page String CODEC(ZSTD(3)),
    industry LowCardinality(String),
    persona LowCardinality(String),
    consent LowCardinality(String),
    block LowCardinality(String),
    variant LowCardinality(String),
    reason LowCardinality(String),
    experiment LowCardinality(String),
    arm LowCardinality(String),
    would_be LowCardinality(String),
    value Nullable(Float64),
    properties String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (visitor_id, occurred_at, event_id)
{ttl}
SETTINGS ttl_only_drop_parts = 1;

-- The per-visitor aggregate the reports read (persx/eventstore/clickhouse_sql.py): one row
-- per visitor and experiment, kept up to date by the materialized view below at every
-- insert into the raw table, so a report reads O(visitors) rows, not the raw events.
-- AggregatingMergeTree merges a visitor's rows of different inserts into one; the states
-- are idempotent (visitor_aggregate_select.sql), so replays and backfills count once.
-- `manage.py persx_clickhouse_schema --backfill` fills it from raw events stored before
-- the view existed. Retention: a row goes once its newest event is past the raw table's.
CREATE TABLE IF NOT EXISTS {database}.{table}_visitors
(
    visitor_id String,
    experiment LowCardinality(String),
    armed AggregateFunction(min, Tuple(DateTime64(6, 'UTC'), DateTime64(6, 'UTC'), UUID, String, String, String, String)),
    profiled AggregateFunction(min, Tuple(DateTime64(6, 'UTC'), DateTime64(6, 'UTC'), UUID, String, String, String, String)),
    page_view_ids AggregateFunction(groupUniqArray(2), UUID),
    page_view_days AggregateFunction(groupUniqArray, Date),
    facts AggregateFunction(groupUniqArray, Tuple(UUID, String, DateTime64(6, 'UTC'), Float64)),
    shown AggregateFunction(groupUniqArray, Tuple(DateTime64(6, 'UTC'), String)),
    last_at SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    changed_at SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (visitor_id, experiment)
{aggregate_ttl};

-- A store created before the report cells: the aggregate gains changed_at (drop the view
-- events_visitors_mv first, then run the command again: the view is created anew with it).
ALTER TABLE {database}.{table}_visitors
    ADD COLUMN IF NOT EXISTS changed_at SimpleAggregateFunction(max, DateTime64(6, 'UTC'));

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{table}_visitors_mv
TO {database}.{table}_visitors
AS {aggregate_select};

-- The report cells (persx/eventstore/clickhouse_sql.py), precomputed by the refresh that
-- `manage.py persx_rollup` runs (ClickHouseEventStore.refresh_report_cells): the rollup's
-- idea inside ClickHouse. Contributions: per (counting rules, experiment, visitor), what
-- the visitor adds to the cells (its arm, industry, variant, consent counted or not, and
-- one tuple per metric: day, visitors, converters, Σ value), rewritten for the visitors
-- whose aggregate rows changed since the last refresh (ReplacingMergeTree: the newest
-- refresh wins). Cells: per experiment, the contributions summed by day, arm, industry,
-- variant and metric, one set per refresh (the reports read the newest; older sets are
-- deleted). Refreshes: the log of refreshes and their watermarks.
CREATE TABLE IF NOT EXISTS {database}.{table}_contributions
(
    rules_key String,
    experiment LowCardinality(String),
    visitor_id String,
    refresh UInt64,
    counted UInt8,
    arm LowCardinality(String),
    industry LowCardinality(String),
    variant LowCardinality(String),
    last_at DateTime64(6, 'UTC'),
    x Array(Tuple(metric String, day Date, v UInt8, c UInt8, s Float64))
)
ENGINE = ReplacingMergeTree(refresh)
ORDER BY (rules_key, experiment, visitor_id)
{aggregate_ttl};

CREATE TABLE IF NOT EXISTS {database}.{table}_cells
(
    rules_key String,
    experiment LowCardinality(String),
    refresh UInt64,
    day Date,
    arm LowCardinality(String),
    industry LowCardinality(String),
    variant LowCardinality(String),
    metric LowCardinality(String),
    v UInt64,
    c UInt64,
    s Float64,
    q Float64
)
ENGINE = MergeTree
ORDER BY (rules_key, experiment, refresh);

CREATE TABLE IF NOT EXISTS {database}.{table}_refreshes
(
    rules_key String,
    refresh UInt64,
    watermark DateTime64(6, 'UTC'),
    visitors UInt64,
    experiments UInt32,
    finished_at DateTime64(6, 'UTC')
)
ENGINE = MergeTree
ORDER BY (rules_key, refresh);
