-- The throughput-weighted error rate (the share of messages that failed) pairs error_rate and
-- throughput samples by timestamp. Each error_rate bucket now keeps the two sums it adds up
-- from: `weighted_errors` (sum of error_rate x throughput at its timestamps that have both) and
-- `paired_throughput` (sum of that throughput), so a week's weighted rate is
-- sum(weighted_errors) / sum(paired_throughput) over buckets and no reader pairs raw samples.
-- Other metrics' buckets leave both NULL. Every stored raw range is marked for the next rollup,
-- which fills them; buckets whose raw samples are already past retention stay NULL.
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS weighted_errors DOUBLE;
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS paired_throughput DOUBLE;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS weighted_errors DOUBLE;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS paired_throughput DOUBLE;
INSERT INTO rollup_dirty SELECT min(ts), max(ts) FROM samples HAVING count(*) > 0;

-- The pairing itself, one home for the rollup's 5-minute pass (seamwatch/store/maintenance.py)
-- and the views' tail: per bucket of `width`, the error_rate samples in [lo, hi) that have a
-- throughput sample at the same timestamp.
CREATE OR REPLACE MACRO error_pairs(lo, hi, width) AS TABLE
SELECT time_bucket(width, e.ts) AS bucket, e.integration_id, 'error_rate' AS metric,
       sum(e.value * t.value) AS weighted_errors, sum(t.value) AS paired_throughput
FROM samples e JOIN samples t ON t.integration_id = e.integration_id AND t.ts = e.ts
WHERE e.metric = 'error_rate' AND t.metric = 'throughput'
  AND e.ts >= lo AND e.ts < hi AND t.ts >= lo AND t.ts < hi
GROUP BY ALL;

-- The buckets of rollup table `tbl` (of `width`), always current: complete buckets come from
-- the table; buckets from the first range written since the last rollup on are aggregated from
-- raw samples here. `n` is the number of samples, `mean` their average, `last` the newest value.
CREATE OR REPLACE MACRO rollup_buckets(tbl, width) AS TABLE
WITH dirty AS (
    SELECT coalesce(min(lo), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS cut FROM rollup_dirty
),
since AS (SELECT time_bucket(width, cut) AS lo FROM dirty)
SELECT r.bucket, r.integration_id, r.metric, r.n, r.mean, r.min, r.max, r.last,
       coalesce(r.first_ts, r.bucket) AS first_ts, coalesce(r.last_ts, r.bucket) AS last_ts,
       r.weighted_errors, r.paired_throughput
FROM query_table(tbl) r WHERE r.bucket <= (SELECT cut - width FROM dirty)
UNION ALL
SELECT g.*, p.weighted_errors, p.paired_throughput
FROM (
    SELECT time_bucket(width, ts) AS bucket, integration_id, metric,
           count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max,
           arg_max(value, ts) AS last, min(ts) AS first_ts, max(ts) AS last_ts
    FROM samples WHERE ts >= (SELECT lo FROM since)
    GROUP BY ALL
) g
LEFT JOIN error_pairs((SELECT lo FROM since), TIMESTAMPTZ 'infinity', width) p
    USING (bucket, integration_id, metric);

CREATE OR REPLACE VIEW v_rollup_5m AS
SELECT b.*, i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM rollup_buckets('rollup_5m', INTERVAL 5 MINUTE) b
LEFT JOIN integrations i ON i.id = b.integration_id;

CREATE OR REPLACE VIEW v_rollup_1h AS
SELECT b.*, i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM rollup_buckets('rollup_1h', INTERVAL 1 HOUR) b
LEFT JOIN integrations i ON i.id = b.integration_id;
