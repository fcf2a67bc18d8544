-- Findings: what detectors concluded about one integration and metric. One row per episode:
-- repeated detection updates the open row of its fingerprint (integration, metric, detector);
-- after it resolves, a new detection opens a new row, so history is kept.

CREATE TABLE IF NOT EXISTS findings (
    finding_id     VARCHAR PRIMARY KEY,          -- fingerprint + ':' + epoch seconds of first_seen
    fingerprint    VARCHAR NOT NULL,             -- stable hash of (integration_id, metric, detector)
    integration_id VARCHAR NOT NULL,
    metric         VARCHAR NOT NULL,             -- a metric name, or '' for inventory findings
    detector       VARCHAR NOT NULL,
    severity       VARCHAR NOT NULL,             -- critical | warning | info
    summary        VARCHAR NOT NULL,             -- one line with the numbers
    evidence       JSON,
    status         VARCHAR NOT NULL,             -- open | resolved
    first_seen     TIMESTAMPTZ NOT NULL,
    last_seen      TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ,
    clear_count    INTEGER NOT NULL DEFAULT 0    -- consecutive evaluations without the condition
);

CREATE TABLE IF NOT EXISTS detector_runs (
    run_id      VARCHAR PRIMARY KEY,
    as_of       TIMESTAMPTZ NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    series      INTEGER,
    opened      INTEGER,
    updated     INTEGER,
    resolved    INTEGER,
    error       VARCHAR
);

CREATE OR REPLACE VIEW v_findings AS
SELECT
    f.finding_id, f.fingerprint, f.integration_id, f.metric, f.detector, f.severity, f.summary,
    f.evidence, f.status, f.first_seen, f.last_seen, f.resolved_at,
    epoch(coalesce(f.resolved_at, now())) - epoch(f.first_seen) AS age_seconds,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, i.chat_route, i.runbook,
    i.source_system, i.target_system, (i.id IS NOT NULL) AS inventoried
FROM findings f
LEFT JOIN integrations i ON i.id = f.integration_id;

-- Health per integration, derived (never stored): from open findings and freshness.
--   no data     an open no_data finding (samples stopped arriving)
--   failing     an open critical finding
--   degrading   an open warning finding
--   unmonitored inventoried but never produced a sample
--   ok          samples arrive and nothing is open above info
CREATE OR REPLACE VIEW v_health AS
WITH fleet AS (
    SELECT integration_id, name, owner, tier, pattern, lifecycle, inventoried FROM v_integrations
),
fresh AS (
    SELECT integration_id, max(ts) AS last_sample, min(first_ts) AS first_sample
    FROM latest GROUP BY integration_id
),
open_findings AS (
    SELECT
        integration_id,
        count(*) AS open_findings,
        count(*) FILTER (WHERE detector = 'no_data') AS no_data,
        count(*) FILTER (WHERE severity = 'critical') AS critical,
        count(*) FILTER (WHERE severity = 'warning') AS warning,
        arg_max(summary, CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END) AS worst_summary
    FROM findings WHERE status = 'open'
    GROUP BY integration_id
)
SELECT
    f.integration_id, f.name, f.owner, f.tier, f.pattern, f.lifecycle, f.inventoried,
    CASE
        WHEN coalesce(o.no_data, 0) > 0 THEN 'no data'
        WHEN coalesce(o.critical, 0) > 0 THEN 'failing'
        WHEN coalesce(o.warning, 0) > 0 THEN 'degrading'
        WHEN s.last_sample IS NULL THEN 'unmonitored'
        ELSE 'ok'
    END AS health,
    CASE
        WHEN coalesce(o.no_data, 0) > 0 OR coalesce(o.critical, 0) > 0 OR coalesce(o.warning, 0) > 0
            THEN o.worst_summary
        WHEN s.last_sample IS NULL THEN 'no samples collected yet'
        ELSE NULL
    END AS reason,
    coalesce(o.open_findings, 0) AS open_findings,
    s.last_sample,
    CAST(epoch(now()) - epoch(s.last_sample) AS BIGINT) AS last_sample_age_seconds
FROM fleet f
LEFT JOIN fresh s USING (integration_id)
LEFT JOIN open_findings o USING (integration_id);
