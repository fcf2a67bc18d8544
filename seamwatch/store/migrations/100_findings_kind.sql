-- A finding's kind: what it says, as health and alert grouping judge it (seamwatch.finding_kind),
-- declared by the detector's registry entry and written by the lifecycle with every finding, so
-- no rule keys on detector names. degradation: a system misbehaves (health by severity, as
-- before); stale: samples stopped arriving (health "no data"); housekeeping: the inventory's
-- upkeep (never evidence that a shared system fails). Rows from before this migration get the
-- kind their detector name had then (no_data was the only stale detector; the hygiene checks
-- the only housekeeping ones); a row written without a kind is a degradation.
-- v_findings gains `kind` at the end. health_at and v_health are 043's text (the latest, applied
-- after 080) with `no_data` counted by kind instead of by detector name, and the worst summary
-- picked by `severity_rank(s)` instead of a hand-written CASE: the store defines that macro from
-- `seamwatch.severity.Severity` before it migrates (seamwatch.store.schema.define_macros). Same
-- results for the three severities and the detectors of before.

ALTER TABLE findings ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'degradation';

UPDATE findings
SET kind = CASE
    WHEN detector = 'no_data' THEN 'stale'
    WHEN detector IN ('no_owner', 'review_overdue', 'past_sunset', 'not_inventoried', 'sunset_soon')
        THEN 'housekeeping'
    ELSE 'degradation'
END;

-- v_findings: the columns of 080, then `kind`.
CREATE OR REPLACE VIEW v_findings AS
SELECT
    f.finding_id, f.fingerprint, f.integration_id, f.metric, f.detector, f.severity, f.summary,
    f.evidence, f.status, f.first_seen, f.last_seen, f.resolved_at,
    epoch(coalesce(f.resolved_at, now())) - epoch(f.first_seen) AS age_seconds,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, i.chat_route, i.runbook,
    i.source_system, i.target_system, (i.id IS NOT NULL) AS inventoried, i.tags,
    coalesce(f.onset, f.first_seen) AS onset,
    epoch(coalesce(f.resolved_at, now())) - epoch(coalesce(f.onset, f.first_seen)) AS onset_age_seconds,
    f.kind
FROM findings f
LEFT JOIN integrations i ON i.id = f.integration_id;

-- health_at: 043's rules; an open stale finding (not a detector name) means no data.
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
