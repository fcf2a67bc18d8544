-- Job runs from throughput (061) numbered on their first and last samples only. 061 ran a second
-- window over every active sample to number the runs; each sample's successor now comes from the
-- same window as its predecessor (lead beside lag), so a sample that closes a run is known
-- there, and only the samples that open or close a run are numbered: a few per run instead of
-- every sample of 4,000 batch jobs' throughput. Same runs, same columns; otherwise 061's text.

CREATE OR REPLACE MACRO job_runs_between(lo, hi, ids) AS TABLE
WITH pings AS (
    SELECT * FROM job_pings WHERE received_at <= hi
),
ordered AS (
    SELECT
        *,
        lag(kind) OVER w AS prev_kind,
        lag(received_at) OVER w AS prev_at,
        lead(kind) OVER w AS next_kind
    FROM pings
    WINDOW w AS (PARTITION BY integration_id, coalesce(rid, '') ORDER BY received_at, ping_id)
),
beats AS (
    SELECT
        integration_id, rid,
        CASE WHEN kind = 'start' THEN received_at WHEN prev_kind = 'start' THEN prev_at END
            AS started_at,
        CASE WHEN kind <> 'start' THEN received_at END AS finished_at,
        CASE
            WHEN kind = 'start' AND next_kind IS NULL THEN 'running'
            WHEN kind = 'start' THEN 'unfinished'
            ELSE kind
        END AS status,
        exit_status, body, body_bytes, 'heartbeat' AS feed
    FROM ordered
    WHERE kind <> 'start' OR next_kind IS NULL OR next_kind = 'start'
),
tp AS (
    SELECT
        integration_id, ts, value > 0 AS active,
        epoch(ts) - epoch(lag(ts) OVER w) AS gap,
        lag(value > 0) OVER w AS prev_active,
        epoch(lead(ts) OVER w) - epoch(ts) AS next_gap,
        lead(value > 0) OVER w AS next_active
    FROM samples
    WHERE metric = 'throughput' AND ts <= hi AND ts >= lo - INTERVAL 1 DAY
      AND isfinite(value)
      AND integration_id NOT IN (SELECT DISTINCT integration_id FROM job_pings)
      AND CASE
          WHEN ids IS NULL THEN integration_id IN (
              SELECT id FROM integrations WHERE pattern IN ('batch', 'file'))
          ELSE list_contains(ids, integration_id)
      END
    WINDOW w AS (PARTITION BY integration_id ORDER BY ts)
),
spacing AS (
    SELECT integration_id, coalesce(median(gap), 300) AS step FROM tp GROUP BY integration_id
),
marked AS (  -- the first and the last sample of each run (one sample may be both)
    SELECT * FROM (
        SELECT
            tp.*, s.step,
            CASE WHEN prev_active IS DISTINCT FROM true OR gap > 2 * s.step THEN 1 ELSE 0 END
                AS opens,
            next_active IS DISTINCT FROM true OR next_gap > 2 * s.step AS closes
        FROM tp JOIN spacing s USING (integration_id)
        WHERE active
    )
    WHERE opens = 1 OR closes
),
numbered AS (
    SELECT *, sum(opens) OVER (PARTITION BY integration_id ORDER BY ts) AS run_no FROM marked
),
last_seen AS (
    SELECT integration_id, max(ts) AS last_ts FROM tp GROUP BY integration_id
),
pulled AS (
    SELECT
        n.integration_id, NULL::VARCHAR AS rid,
        min(n.ts) AS started_at,
        CASE
            WHEN max(n.ts) = any_value(l.last_ts)
                AND epoch(hi) - epoch(max(n.ts)) <= 2 * any_value(n.step) THEN NULL
            ELSE max(n.ts) + to_seconds(any_value(n.step))
        END AS finished_at,
        CASE
            WHEN max(n.ts) = any_value(l.last_ts)
                AND epoch(hi) - epoch(max(n.ts)) <= 2 * any_value(n.step) THEN 'running'
            ELSE 'ended'
        END AS status,
        NULL::INTEGER AS exit_status, NULL::VARCHAR AS body, NULL::BIGINT AS body_bytes,
        'throughput' AS feed
    FROM numbered n JOIN last_seen l USING (integration_id)
    GROUP BY n.integration_id, n.run_no
),
runs AS (
    SELECT * FROM beats
    UNION ALL
    SELECT * FROM pulled
)
SELECT
    r.integration_id, r.rid, r.started_at, r.finished_at,
    epoch(r.finished_at) - epoch(r.started_at) AS duration_s,
    r.status, r.exit_status, r.body, r.body_bytes,
    i.name, i.owner, i.tier, i.pattern, (i.id IS NOT NULL) AS inventoried, r.feed
FROM runs r
LEFT JOIN integrations i ON i.id = r.integration_id
WHERE coalesce(r.started_at, r.finished_at) BETWEEN lo AND hi;

-- v_job_runs (060's columns, then `feed`): every run up to now, from both feeds.
CREATE OR REPLACE VIEW v_job_runs AS
SELECT * FROM job_runs_between(TIMESTAMPTZ '1970-01-01 00:00:00+00', now(), NULL);
