-- PersX raw events on a ClickHouse cluster: one replicated table per shard and a
-- Distributed table over them (persx/eventstore; `manage.py persx_clickhouse_schema
-- --cluster NAME`). {database}, {table}, {cluster} and {ttl} are filled in by
-- persx/eventstore/schema.py. The cluster (shards, replicas, ClickHouse Keeper) is the
-- server's configuration, not this file's.
--
-- Rows are sharded by visitor: every event of a visitor lives on one shard, so the
-- per-visitor statistics are computed shard-locally (the queries run with
-- distributed_product_mode = 'local') and only the cells travel to the initiator.
-- Writers insert into the Distributed table, which forwards each row to its shard;
-- with internal_replication the shard's replicas copy it among themselves.
CREATE DATABASE IF NOT EXISTS {database} ON CLUSTER '{cluster}';

CREATE TABLE IF NOT EXISTS {database}.{table}_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_local', '{{replica}}')
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (visitor_id, occurred_at, event_id)
{ttl}
SETTINGS ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS {database}.{table} ON CLUSTER '{cluster}'
AS {database}.{table}_local
ENGINE = Distributed('{cluster}', {database}, {table}_local, cityHash64(visitor_id));

-- The per-visitor aggregate the reports read (see single_node.sql): on each shard a
-- replicated AggregatingMergeTree fed by a materialized view over the shard's raw table
-- (rows arrive there through the Distributed table, sharded by visitor, so a visitor's
-- aggregate rows live on the shard holding its events), and a Distributed table over them.
CREATE TABLE IF NOT EXISTS {database}.{table}_visitors_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_visitors_local', '{{replica}}')
ORDER BY (visitor_id, experiment)
{aggregate_ttl};

-- A store created before the report cells: the aggregate gains changed_at (drop the view
-- events_visitors_mv_local first, then run the command again: the view is created anew with it).
ALTER TABLE {database}.{table}_visitors_local ON CLUSTER '{cluster}'
    ADD COLUMN IF NOT EXISTS changed_at SimpleAggregateFunction(max, DateTime64(6, 'UTC'));

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{table}_visitors_mv ON CLUSTER '{cluster}'
TO {database}.{table}_visitors_local
AS {aggregate_select};

CREATE TABLE IF NOT EXISTS {database}.{table}_visitors ON CLUSTER '{cluster}'
AS {database}.{table}_visitors_local
ENGINE = Distributed('{cluster}', {database}, {table}_visitors_local, cityHash64(visitor_id));

-- The report cells (persx/eventstore/clickhouse_sql.py), precomputed by the refresh that
-- `manage.py persx_rollup` runs (ClickHouseEventStore.refresh_report_cells): the rollup's
-- idea inside ClickHouse. Contributions: per (counting rules, experiment, visitor), what
-- the visitor adds to the cells (its arm, industry, variant, consent counted or not, and
-- one tuple per metric: day, visitors, converters, Σ value), rewritten for the visitors
-- whose aggregate rows changed since the last refresh (ReplacingMergeTree: the newest
-- refresh wins). Cells: per experiment, the contributions summed by day, arm, industry,
-- variant and metric, one set per refresh (the reports read the newest; older sets are
-- deleted). Refreshes: the log of refreshes and their watermarks.
CREATE TABLE IF NOT EXISTS {database}.{table}_contributions_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_contributions_local', '{{replica}}', refresh)
ORDER BY (rules_key, experiment, visitor_id)
{aggregate_ttl};

CREATE TABLE IF NOT EXISTS {database}.{table}_cells_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_cells_local', '{{replica}}')
ORDER BY (rules_key, experiment, refresh);

CREATE TABLE IF NOT EXISTS {database}.{table}_refreshes_local ON CLUSTER '{cluster}'
(
    rules_key String,
    refresh UInt64,
    watermark DateTime64(6, 'UTC'),
    visitors UInt64,
    experiments UInt32,
    finished_at DateTime64(6, 'UTC')
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_refreshes_local', '{{replica}}')
ORDER BY (rules_key, refresh);

CREATE TABLE IF NOT EXISTS {database}.{table}_contributions ON CLUSTER '{cluster}'
AS {database}.{table}_contributions_local
ENGINE = Distributed('{cluster}', {database}, {table}_contributions_local, cityHash64(visitor_id));

CREATE TABLE IF NOT EXISTS {database}.{table}_cells ON CLUSTER '{cluster}'
AS {database}.{table}_cells_local
ENGINE = Distributed('{cluster}', {database}, {table}_cells_local, cityHash64(experiment));

CREATE TABLE IF NOT EXISTS {database}.{table}_refreshes ON CLUSTER '{cluster}'
AS {database}.{table}_refreshes_local
ENGINE = Distributed('{cluster}', {database}, {table}_refreshes_local, cityHash64(rules_key));
