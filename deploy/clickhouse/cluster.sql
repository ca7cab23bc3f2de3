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
    last_at SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{{shard}}/{database}/{table}_visitors_local', '{{replica}}')
ORDER BY (visitor_id, experiment)
{aggregate_ttl};

CREATE MATERIALIZED VIEW IF NOT EXISTS {database}.{table}_visitors_mv ON CLUSTER '{cluster}'
TO {database}.{table}_visitors_local
AS {aggregate_select};

CREATE TABLE IF NOT EXISTS {database}.{table}_visitors ON CLUSTER '{cluster}'
AS {database}.{table}_visitors_local
ENGINE = Distributed('{cluster}', {database}, {table}_visitors_local, cityHash64(visitor_id));
