-- Daily buckets (whole UTC days), added up from the hourly ones by the rollup once the day is
-- over, and again when a late write changes it: a week of a large fleet is 24 times fewer
-- rows. The weekly review reads them for the whole days of its two weeks, and the hourly
-- buckets for the hours around them (a week in a time zone other than UTC starts within a UTC
-- day). Each column adds up exactly over hours: `hours` is how many hourly buckets the day has
-- (a series with a bucket every hour from its first sample to its last has no gap), `mean` the
-- samples' mean, the SLO counts as over one group of hourly buckets: `slo` (`paired_slo`) only
-- where every hour was counted against the same one, `paired_latency` and `paired_outside` only
-- where every hour has them.
CREATE TABLE IF NOT EXISTS rollup_1d (
    bucket            TIMESTAMPTZ NOT NULL,
    integration_id    VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    hours             INTEGER NOT NULL,
    n                 BIGINT NOT NULL,
    mean              DOUBLE,
    min               DOUBLE,
    max               DOUBLE,
    last              DOUBLE,
    first_ts          TIMESTAMPTZ NOT NULL,
    last_ts           TIMESTAMPTZ NOT NULL,
    weighted_errors   DOUBLE,
    paired_throughput DOUBLE,
    paired_latency    BIGINT,
    slo               DOUBLE,
    within_slo        BIGINT,
    paired_slo        DOUBLE,
    paired_outside    BIGINT
);

-- The days in [lo, hi) (whole UTC days) from the hourly rollup table, as rollup_1d holds them.
CREATE OR REPLACE MACRO daily_buckets(lo, hi) AS TABLE
SELECT time_bucket(INTERVAL 1 DAY, bucket) AS bucket, integration_id, metric,
       CAST(count(*) AS INTEGER) AS hours, CAST(sum(n) AS BIGINT) AS n,
       sum(n * mean) / sum(n) AS mean, min(min) AS min, max(max) AS max,
       arg_max(last, coalesce(last_ts, bucket)) AS last,
       min(coalesce(first_ts, bucket)) AS first_ts, max(coalesce(last_ts, bucket)) AS last_ts,
       sum(weighted_errors) AS weighted_errors, sum(paired_throughput) AS paired_throughput,
       CASE WHEN count(paired_latency) = count(*) THEN sum(paired_latency) END AS paired_latency,
       CASE WHEN count(slo) = count(*) AND min(slo) = max(slo) THEN min(slo) END AS slo,
       CASE WHEN count(slo) = count(*) AND min(slo) = max(slo) THEN sum(within_slo) END
           AS within_slo,
       CASE WHEN count(paired_slo) = count(*) AND min(paired_slo) = max(paired_slo)
            THEN min(paired_slo) END AS paired_slo,
       CASE WHEN count(paired_outside) = count(*) THEN sum(paired_outside) END AS paired_outside
FROM rollup_1h
WHERE bucket >= lo AND bucket < hi
GROUP BY ALL;

-- A day is added up once it is over: once a rollup has seen a later day's data (`days_until`:
-- the days before it are in rollup_1d; NULL: no day yet). The day in progress is read from
-- hourly buckets: adding up its hourly buckets at every rollup would cost more than the rollup
-- itself. A store rolled up before this version starts at its oldest hourly bucket's day: the
-- next rollup adds up every day since, in chunks of bounded size, as it does a backfill.
CREATE TABLE IF NOT EXISTS rollup_1d_state (days_until TIMESTAMPTZ);
INSERT INTO rollup_1d_state
SELECT (SELECT time_bucket(INTERVAL 1 DAY, min(bucket)) FROM rollup_1h)
WHERE NOT EXISTS (SELECT 1 FROM rollup_1d_state);

-- Days before this one are in rollup_1d, whole: days over at the last rollup, up to the day of
-- the first range written since (whose hourly buckets, and so its day, are not rolled up yet).
-- NULL: no day is.
CREATE OR REPLACE MACRO rollup_1d_until() AS (
    SELECT CASE WHEN any_value(s.days_until) IS NOT NULL THEN least(
        any_value(s.days_until),
        time_bucket(INTERVAL 1 DAY, coalesce(min(d.lo), TIMESTAMPTZ '9999-12-31 00:00:00+00')))
    END
    FROM rollup_1d_state s LEFT JOIN rollup_dirty d ON TRUE
);

-- The documented view: the days in rollup_1d that are whole (before rollup_1d_until()), with
-- the integration's metadata as the other rollup views have it. The day in progress and days
-- written since the last rollup are in v_rollup_1h.
CREATE OR REPLACE VIEW v_rollup_1d AS
SELECT d.*, i.name, i.owner, i.tier, i.pattern, i.lifecycle, (i.id IS NOT NULL) AS inventoried
FROM rollup_1d d LEFT JOIN integrations i ON i.id = d.integration_id
WHERE d.bucket < coalesce(rollup_1d_until(), TIMESTAMPTZ '-infinity');
