-- Bounds the planner can use. "The hour ends by x" was written `bucket + INTERVAL 1 HOUR <= x`,
-- an expression of every rollup row, which DuckDB evaluated as a nested-loop join over all of
-- rollup_1h; `bucket <= x - INTERVAL 1 HOUR` says the same (an hour is a fixed 3,600 s) as a
-- plain comparison. health_at at a past moment (the weekly review asks it three times) took
-- 0.43-0.72 s at 10,000 integrations and now 0.24-0.30 s. health_at and v_health are 100's text,
-- v_samples 001's, with only that bound rewritten.

CREATE OR REPLACE MACRO health_at(t TIMESTAMPTZ := NULL) AS TABLE
WITH series AS (
    SELECT
        integration_id,
        CASE WHEN t IS NULL OR ts <= t THEN ts END AS last_ts,
        coalesce(first_ts, ts) AS first_ts
    FROM latest
    WHERE t IS NULL OR coalesce(first_ts, ts) <= t
),
cut AS (  -- rollups of hours before the earliest range written since the last rollup are current
    SELECT least(coalesce((SELECT min(lo) FROM rollup_dirty), t), t) AS c
),
history AS (
    SELECT s.integration_id, max(s.ts) AS last_ts
    FROM samples s, cut
    WHERE s.ts <= t AND s.ts >= greatest(t - INTERVAL 28 DAY, cut.c - INTERVAL 1 HOUR)
    GROUP BY s.integration_id
    UNION ALL
    SELECT r.integration_id, max(coalesce(r.last_ts, r.bucket)) AS last_ts
    FROM rollup_1h r, cut
    WHERE r.bucket >= t - INTERVAL 28 DAY AND r.bucket <= cut.c - INTERVAL 1 HOUR
    GROUP BY r.integration_id
),
fresh AS (
    SELECT integration_id, max(last_ts) AS last_sample, min(first_ts) AS first_sample
    FROM (
        SELECT integration_id, last_ts, first_ts FROM series
        UNION ALL
        SELECT integration_id, last_ts, last_ts FROM history
    )
    GROUP BY integration_id
),
fleet AS (
    SELECT integration_id, name, owner, tier, pattern, lifecycle, inventoried
    FROM v_integrations
    WHERE inventoried OR integration_id IN (SELECT integration_id FROM fresh)
),
open_findings AS (
    SELECT
        integration_id,
        count(*) AS open_findings,
        count(*) FILTER (WHERE kind = 'stale') AS no_data,
        count(*) FILTER (WHERE severity = 'critical') AS critical,
        count(*) FILTER (WHERE severity = 'warning') AS warning,
        arg_max(summary, severity_rank(severity)) AS worst_summary,
        min(coalesce(onset, first_seen)) FILTER (WHERE severity IN ('critical', 'warning'))
            AS since
    FROM findings
    WHERE CASE
        WHEN t IS NULL THEN status = 'open'
        ELSE first_seen <= t AND (status <> 'resolved' OR coalesce(resolved_at, last_seen) > t)
    END
    GROUP BY integration_id
)
SELECT
    f.integration_id, f.name, f.owner, f.tier, f.pattern, f.lifecycle, f.inventoried,
    CASE
        WHEN f.lifecycle IN ('planned', 'retired')
             AND (s.first_sample IS NULL OR coalesce(o.no_data, 0) > 0) THEN 'not live'
        WHEN coalesce(o.no_data, 0) > 0 THEN 'no data'
        WHEN coalesce(o.critical, 0) > 0 THEN 'failing'
        WHEN coalesce(o.warning, 0) > 0 THEN 'degrading'
        WHEN s.first_sample IS NULL THEN 'unmonitored'
        ELSE 'ok'
    END AS health,
    CASE
        WHEN f.lifecycle = 'planned' AND (s.first_sample IS NULL OR coalesce(o.no_data, 0) > 0)
            THEN 'planned: not live yet'
        WHEN f.lifecycle = 'retired' AND (s.first_sample IS NULL OR coalesce(o.no_data, 0) > 0)
            THEN 'retired: no longer live'
        WHEN coalesce(o.no_data, 0) > 0 OR coalesce(o.critical, 0) > 0 OR coalesce(o.warning, 0) > 0
            THEN o.worst_summary
        WHEN s.first_sample IS NULL THEN 'no samples collected yet'
        ELSE NULL
    END AS reason,
    coalesce(o.open_findings, 0) AS open_findings,
    s.last_sample,
    CAST(epoch(coalesce(t, now())) - epoch(s.last_sample) AS BIGINT) AS last_sample_age_seconds,
    CASE
        WHEN f.lifecycle IN ('planned', 'retired')
             AND (s.first_sample IS NULL OR coalesce(o.no_data, 0) > 0) THEN NULL
        WHEN coalesce(o.no_data, 0) > 0 OR coalesce(o.critical, 0) > 0 OR coalesce(o.warning, 0) > 0
            THEN o.since
    END AS since
FROM fleet f
LEFT JOIN fresh s USING (integration_id)
LEFT JOIN open_findings o USING (integration_id);

CREATE OR REPLACE VIEW v_health AS SELECT * FROM health_at();

CREATE OR REPLACE VIEW v_samples AS
WITH horizon AS (
    SELECT coalesce(min(ts), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS h FROM samples
),
history AS (
    SELECT ts, integration_id, metric, value, source, 'raw' AS resolution FROM samples
    UNION ALL
    SELECT r.bucket, r.integration_id, r.metric, r.mean, r.source, '1h'
    FROM rollup_1h r, horizon WHERE r.bucket <= horizon.h - INTERVAL 1 HOUR
)
SELECT
    h.ts, h.integration_id, h.metric, h.value, h.source, h.resolution,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM history h
LEFT JOIN integrations i ON i.id = h.integration_id;
