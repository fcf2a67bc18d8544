-- SLO compliance "within both" counts a timestamp as within its SLOs when every metric with an
-- SLO is, so it needs to know which error_rate and latency_p95_ms timestamps coincide. Each
-- error_rate bucket now also keeps `paired_latency`: how many of its timestamps have a
-- latency_p95_ms sample too. With each bucket's min and max, that settles every bucket that lies
-- wholly inside or outside the SLOs without reading raw samples (reports/queries.py,
-- SLO_BUCKETS). Other metrics' buckets leave it NULL. Every stored raw range is marked for the
-- next rollup, which fills it; buckets whose raw samples are past retention stay NULL.
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS paired_latency BIGINT;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS paired_latency BIGINT;
INSERT INTO rollup_dirty SELECT min(ts), max(ts) FROM samples HAVING count(*) > 0;

-- 105's pairing, with the latency count: per bucket of `width`, the error_rate samples in
-- [lo, hi), the sums over those with a throughput sample at the same timestamp, and how many
-- have a latency_p95_ms sample at it (a store keeps one sample per integration, metric and
-- timestamp, so each join matches at most one row).
CREATE OR REPLACE MACRO error_pairs(lo, hi, width) AS TABLE
SELECT time_bucket(width, e.ts) AS bucket, e.integration_id, 'error_rate' AS metric,
       sum(e.value * t.value) AS weighted_errors, sum(t.value) AS paired_throughput,
       count(l.ts) AS paired_latency
FROM samples e
LEFT JOIN samples t ON t.integration_id = e.integration_id AND t.ts = e.ts
    AND t.metric = 'throughput' AND t.ts >= lo AND t.ts < hi
LEFT JOIN samples l ON l.integration_id = e.integration_id AND l.ts = e.ts
    AND l.metric = 'latency_p95_ms' AND l.ts >= lo AND l.ts < hi
WHERE e.metric = 'error_rate' AND e.ts >= lo AND e.ts < hi
GROUP BY ALL;

-- 105's buckets with `paired_latency`.
CREATE OR REPLACE MACRO rollup_buckets(tbl, width) AS TABLE
WITH dirty AS (
    SELECT coalesce(min(lo), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS cut FROM rollup_dirty
),
since AS (SELECT time_bucket(width, cut) AS lo FROM dirty)
SELECT r.bucket, r.integration_id, r.metric, r.n, r.mean, r.min, r.max, r.last,
       coalesce(r.first_ts, r.bucket) AS first_ts, coalesce(r.last_ts, r.bucket) AS last_ts,
       r.weighted_errors, r.paired_throughput, r.paired_latency
FROM query_table(tbl) r WHERE r.bucket <= (SELECT cut - width FROM dirty)
UNION ALL
SELECT g.*, p.weighted_errors, p.paired_throughput, p.paired_latency
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
