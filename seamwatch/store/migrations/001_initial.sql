-- Seamwatch store, schema 1: integrations, samples, rollups, collection runs, and the views
-- documented in the README. Views are the contract for ad-hoc SQL; tables may change.

CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR
);

CREATE TABLE IF NOT EXISTS integrations (
    id                  VARCHAR PRIMARY KEY,
    name                VARCHAR NOT NULL,
    description         VARCHAR,
    owner               VARCHAR,
    contacts            VARCHAR[],
    chat_route          VARCHAR,
    source_system       VARCHAR,
    target_system       VARCHAR,
    pattern             VARCHAR,
    tier                INTEGER,
    lifecycle           VARCHAR,
    sunset              DATE,
    endpoints           VARCHAR[],
    contract_spec       VARCHAR,
    contract_schema     VARCHAR,
    contract_version    VARCHAR,
    slo_latency_p95_ms  DOUBLE,
    slo_error_rate      DOUBLE,
    review_cadence_days INTEGER,
    last_review         DATE,
    runbook             VARCHAR,
    tags                VARCHAR[],
    collect             JSON,
    origin              VARCHAR,
    synced_at           TIMESTAMPTZ
);

-- Raw samples: one row per (integration, metric, ts); ts aligned to the collection interval.
-- No primary key (an index would cost 11x on bulk writes); the write path deduplicates against
-- the batch's own time range instead.
CREATE TABLE IF NOT EXISTS samples (
    ts             TIMESTAMPTZ NOT NULL,
    integration_id VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    value          DOUBLE NOT NULL,
    source         VARCHAR
);

-- The newest sample of every series, maintained on write so "latest" never scans history.
CREATE TABLE IF NOT EXISTS latest (
    integration_id VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    ts             TIMESTAMPTZ NOT NULL,
    value          DOUBLE NOT NULL,
    source         VARCHAR,
    first_ts       TIMESTAMPTZ,
    PRIMARY KEY (integration_id, metric)
);

CREATE TABLE IF NOT EXISTS rollup_5m (
    bucket         TIMESTAMPTZ NOT NULL,
    integration_id VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    n              INTEGER NOT NULL,
    mean           DOUBLE,
    min            DOUBLE,
    max            DOUBLE,
    last           DOUBLE,
    source         VARCHAR
);

CREATE TABLE IF NOT EXISTS rollup_1h (
    bucket         TIMESTAMPTZ NOT NULL,
    integration_id VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,
    n              INTEGER NOT NULL,
    mean           DOUBLE,
    min            DOUBLE,
    max            DOUBLE,
    last           DOUBLE,
    source         VARCHAR
);

-- Time ranges written since the last rollup; the rollup job recomputes exactly these.
CREATE TABLE IF NOT EXISTS rollup_dirty (
    lo TIMESTAMPTZ NOT NULL,
    hi TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id      VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    samples     BIGINT DEFAULT 0,
    status      VARCHAR NOT NULL,
    error       VARCHAR,
    failures    JSON
);

CREATE OR REPLACE VIEW v_integrations AS
SELECT
    i.id AS integration_id, i.name, i.description, i.owner, i.contacts, i.chat_route,
    i.source_system, i.target_system, i.pattern, i.tier, i.lifecycle, i.sunset,
    i.endpoints, i.contract_spec, i.contract_schema, i.contract_version,
    i.slo_latency_p95_ms, i.slo_error_rate, i.review_cadence_days, i.last_review,
    CAST(i.last_review + to_days(i.review_cadence_days) AS DATE) AS review_due,
    i.runbook, i.tags, i.origin, TRUE AS inventoried
FROM integrations i
UNION ALL
SELECT
    l.integration_id, l.integration_id, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, FALSE
FROM (SELECT DISTINCT integration_id FROM latest) l
WHERE l.integration_id NOT IN (SELECT id FROM integrations);

CREATE OR REPLACE VIEW v_samples AS
WITH horizon AS (
    SELECT coalesce(min(ts), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS h FROM samples
),
history AS (
    SELECT ts, integration_id, metric, value, source, 'raw' AS resolution FROM samples
    UNION ALL
    SELECT r.bucket, r.integration_id, r.metric, r.mean, r.source, '1h'
    FROM rollup_1h r, horizon WHERE r.bucket + INTERVAL 1 HOUR <= horizon.h
)
SELECT
    h.ts, h.integration_id, h.metric, h.value, h.source, h.resolution,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM history h
LEFT JOIN integrations i ON i.id = h.integration_id;

CREATE OR REPLACE VIEW v_latest AS
SELECT
    l.integration_id, l.metric, l.value, l.ts, l.source,
    CAST(epoch(now()) - epoch(l.ts) AS BIGINT) AS age_seconds,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM latest l
LEFT JOIN integrations i ON i.id = l.integration_id;

CREATE OR REPLACE VIEW v_runs AS
SELECT
    run_id, source, kind, started_at, finished_at,
    epoch(finished_at) - epoch(started_at) AS duration_s,
    samples, status, error, failures
FROM runs;
