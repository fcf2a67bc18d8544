-- SLO compliance counted as buckets are rolled up. Every latency_p95_ms and error_rate bucket
-- keeps the SLO its integration had when it was rolled up (`slo`, NULL: none) and how many of
-- its samples were within it (`within_slo`); each error_rate bucket also keeps the latency SLO
-- of its pairing (`paired_slo`) and how many of its timestamps had both an error rate and a
-- latency sample outside their SLOs (`paired_outside`). The weekly review uses a bucket's counts
-- while the inventory's SLOs are still the ones they were taken against, as recording rules
-- precompute an SLO's error counts; after an SLO changes it settles buckets by their min and
-- max and reads raw samples only for those that straddle it (reports/queries.py). Which SLO
-- applies to which metric has one home, `slo_threshold`. Every stored raw range is marked for the
-- next rollup, which fills the columns.
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS slo DOUBLE;
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS within_slo BIGINT;
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS paired_slo DOUBLE;
ALTER TABLE rollup_5m ADD COLUMN IF NOT EXISTS paired_outside BIGINT;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS slo DOUBLE;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS within_slo BIGINT;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS paired_slo DOUBLE;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS paired_outside BIGINT;
INSERT INTO rollup_dirty SELECT min(ts), max(ts) FROM samples HAVING count(*) > 0;

-- The inventory SLO a metric's samples are held to (NULL: none).
CREATE OR REPLACE MACRO slo_threshold(metric, latency_slo, error_slo) AS
    CASE metric WHEN 'latency_p95_ms' THEN latency_slo WHEN 'error_rate' THEN error_slo END;

-- Raw samples in [lo, hi) with the SLO each is held to now: what rollups count against.
CREATE OR REPLACE MACRO samples_with_slo(lo, hi) AS TABLE
SELECT s.*, slo_threshold(s.metric, i.slo_latency_p95_ms, i.slo_error_rate) AS slo
FROM samples s LEFT JOIN integrations i ON i.id = s.integration_id
WHERE s.ts >= lo AND s.ts < hi;

-- 106's pairing, with the SLO pairing: how many of the bucket's error-rate timestamps had a
-- latency sample too with both outside their SLOs (NULL unless both SLOs are set).
CREATE OR REPLACE MACRO error_pairs(lo, hi, width) AS TABLE
SELECT time_bucket(width, e.ts) AS bucket, e.integration_id, 'error_rate' AS metric,
       sum(e.value * t.value) AS weighted_errors, sum(t.value) AS paired_throughput,
       count(l.ts) AS paired_latency,
       any_value(i.slo_latency_p95_ms) FILTER (WHERE i.slo_error_rate IS NOT NULL) AS paired_slo,
       CASE WHEN any_value(i.slo_latency_p95_ms) IS NOT NULL
                 AND any_value(i.slo_error_rate) IS NOT NULL
            THEN count(l.ts) FILTER (WHERE NOT e.value <= i.slo_error_rate
                                       AND NOT l.value <= i.slo_latency_p95_ms)
       END AS paired_outside
FROM samples e
LEFT JOIN samples t ON t.integration_id = e.integration_id AND t.ts = e.ts
    AND t.metric = 'throughput' AND t.ts >= lo AND t.ts < hi
LEFT JOIN samples l ON l.integration_id = e.integration_id AND l.ts = e.ts
    AND l.metric = 'latency_p95_ms' AND l.ts >= lo AND l.ts < hi
LEFT JOIN integrations i ON i.id = e.integration_id
WHERE e.metric = 'error_rate' AND e.ts >= lo AND e.ts < hi
GROUP BY ALL;

-- 106's buckets with the SLO counts.
CREATE OR REPLACE MACRO rollup_buckets(tbl, width) AS TABLE
WITH dirty AS (
    SELECT coalesce(min(lo), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS cut FROM rollup_dirty
),
since AS (SELECT time_bucket(width, cut) AS lo FROM dirty)
SELECT r.bucket, r.integration_id, r.metric, r.n, r.mean, r.min, r.max, r.last,
       coalesce(r.first_ts, r.bucket) AS first_ts, coalesce(r.last_ts, r.bucket) AS last_ts,
       r.weighted_errors, r.paired_throughput, r.paired_latency,
       r.slo, r.within_slo, r.paired_slo, r.paired_outside
FROM query_table(tbl) r WHERE r.bucket <= (SELECT cut - width FROM dirty)
UNION ALL
SELECT g.*, p.weighted_errors, p.paired_throughput, p.paired_latency,
       g2.slo, g2.within_slo, p.paired_slo, p.paired_outside
FROM (
    SELECT time_bucket(width, ts) AS bucket, integration_id, metric,
           count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max,
           arg_max(value, ts) AS last, min(ts) AS first_ts, max(ts) AS last_ts
    FROM samples WHERE ts >= (SELECT lo FROM since)
    GROUP BY ALL
) g
LEFT JOIN (
    SELECT time_bucket(width, ts) AS bucket, integration_id, metric, any_value(slo) AS slo,
           count(*) FILTER (WHERE value <= slo) AS within_slo
    FROM samples_with_slo((SELECT lo FROM since), TIMESTAMPTZ 'infinity')
    WHERE slo IS NOT NULL
    GROUP BY ALL
) g2 USING (bucket, integration_id, metric)
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
