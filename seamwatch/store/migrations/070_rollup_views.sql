-- Rollups as documented views, so readers (the weekly review, analysts) can aggregate weeks of
-- history from 5-minute or hourly buckets instead of every raw sample. Each bucket now also
-- records its first and newest sample time, so "data from ... to ..." stays exact. Buckets
-- rolled up before this version lack them (the bucket start stands in) until the next rollup,
-- which recomputes every stored range marked here.
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS first_ts TIMESTAMPTZ;
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS last_ts TIMESTAMPTZ;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS first_ts TIMESTAMPTZ;
INSERT INTO rollup_dirty SELECT min(ts), max(ts) FROM samples HAVING count(*) > 0;

-- Complete buckets come from the rollup table; buckets from the first range written since the
-- last rollup on are aggregated from raw samples here, so the view is always current. `n` is the
-- number of samples, `mean` their average, `last` the newest value.
CREATE OR REPLACE VIEW v_rollup_5m AS
WITH dirty AS (
    SELECT coalesce(min(lo), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS cut FROM rollup_dirty
),
buckets AS (
    SELECT r.bucket, r.integration_id, r.metric, r.n, r.mean, r.min, r.max, r.last,
           coalesce(r.first_ts, r.bucket) AS first_ts, coalesce(r.last_ts, r.bucket) AS last_ts
    FROM rollup_5m r WHERE r.bucket <= (SELECT cut - INTERVAL 5 MINUTE FROM dirty)
    UNION ALL
    SELECT time_bucket(INTERVAL 5 MINUTE, s.ts) AS bucket, s.integration_id, s.metric,
           count(*) AS n, avg(s.value) AS mean, min(s.value) AS min, max(s.value) AS max,
           arg_max(s.value, s.ts) AS last, min(s.ts) AS first_ts, max(s.ts) AS last_ts
    FROM samples s WHERE s.ts >= (SELECT time_bucket(INTERVAL 5 MINUTE, cut) FROM dirty)
    GROUP BY ALL
)
SELECT b.*, i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM buckets b LEFT JOIN integrations i ON i.id = b.integration_id;

CREATE OR REPLACE VIEW v_rollup_1h AS
WITH dirty AS (
    SELECT coalesce(min(lo), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS cut FROM rollup_dirty
),
buckets AS (
    SELECT r.bucket, r.integration_id, r.metric, r.n, r.mean, r.min, r.max, r.last,
           coalesce(r.first_ts, r.bucket) AS first_ts, coalesce(r.last_ts, r.bucket) AS last_ts
    FROM rollup_1h r WHERE r.bucket <= (SELECT cut - INTERVAL 1 HOUR FROM dirty)
    UNION ALL
    SELECT time_bucket(INTERVAL 1 HOUR, s.ts) AS bucket, s.integration_id, s.metric,
           count(*) AS n, avg(s.value) AS mean, min(s.value) AS min, max(s.value) AS max,
           arg_max(s.value, s.ts) AS last, min(s.ts) AS first_ts, max(s.ts) AS last_ts
    FROM samples s WHERE s.ts >= (SELECT time_bucket(INTERVAL 1 HOUR, cut) FROM dirty)
    GROUP BY ALL
)
SELECT b.*, i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM buckets b LEFT JOIN integrations i ON i.id = b.integration_id;
