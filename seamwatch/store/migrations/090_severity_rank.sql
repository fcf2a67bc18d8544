-- Severity's order is no longer written by hand in SQL: the store defines the macro
-- `severity_rank(s)` from `seamwatch.severity.Severity` before it migrates (critical 3, warning 2,
-- info 1, anything else 0; see seamwatch.store.schema.define_macros), and views and queries order
-- by it. health_at and v_health: 043's text (the latest, applied after 080), with the worst
-- summary picked by `severity_rank` instead of a CASE (same results for the three severities).

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
    WHERE r.bucket >= t - INTERVAL 28 DAY AND r.bucket + INTERVAL 1 HOUR <= cut.c
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
        count(*) FILTER (WHERE detector = 'no_data') AS no_data,
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
