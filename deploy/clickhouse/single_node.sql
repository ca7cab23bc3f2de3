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
