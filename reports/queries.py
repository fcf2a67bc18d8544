"""Every SQL the weekly review runs, by name, against the documented views and macros (and
the raw `samples` table where SLO compliance must look at single samples).

Parameters (bound, never formatted in): `$start`/`$end` bound the report's week (UTC instants,
end exclusive), `$prev_start` the week before it (which ends at `$start`), `$team` an owner team
or NULL for the whole fleet, `$as_of` the moment whose state the report shows (the last instant
of a past week; NULL for a week in progress: now). Every query that looks at two weeks labels
rows `this` or `last`.
"""

from __future__ import annotations

WEEK = "CASE WHEN ts >= $start THEN 'this' ELSE 'last' END"
# The same for rollup buckets: a bucket lies within one week, since the buckets' width divides
# both weeks' starts (see `on_rollups`).
BUCKET_WEEK = "CASE WHEN bucket >= $start THEN 'this' ELSE 'last' END"


def hour_of(t: str) -> str:
    """Hour of the week (0 = its Monday 00:00 local) of a time `t` in either week."""
    return (
        f"floor((epoch({t}) - epoch(CASE WHEN {t} >= $start THEN $start ELSE $prev_start END))"
        " / 3600)"
    )


BUCKET_HOUR = hour_of("bucket")
# The rollup buckets of a width (migration 105's macro behind the documented views v_rollup_1h
# and v_rollup_5m, without their inventory columns: the review joins those where it needs them).
ROLLUP_BUCKETS = {
    "1h": "rollup_buckets('rollup_1h', INTERVAL 1 HOUR)",
    "5m": "rollup_buckets('rollup_5m', INTERVAL 5 MINUTE)",
}
BUCKET_WIDTHS = {"1h": "INTERVAL 1 HOUR", "5m": "INTERVAL 5 MINUTE"}

# Hours of the week with data: the set of a group's hours as a bitstring (a week has at most
# 169 hours, in the autumn; 192 leaves room), counted once the sets are united.
# count(DISTINCT hour) over every bucket of 10,000 integrations materialised all of them first
# and took five times as long.
HOURS = f"bitstring_agg(CAST({BUCKET_HOUR} AS INTEGER), 0, 191)"
# A series' set of hours where spans cannot say. An hourly bucket is its hour, so its series'
# spans (SPANS) give its hours wherever no bucket is missing; 5-minute buckets of samples taken
# less often than every 5 minutes always miss some, so their sets are counted in the same pass.
HOUR_SETS = {"1h": "NULL::BITSTRING", "5m": HOURS}


# Whole UTC days of the two weeks that daily buckets answer: [from, to) in each week, rolled up
# (before `rollup_1d_until()`, migration 110); reports.build.review_params sets them.
DAYS = (
    "((bucket >= $last_days_from AND bucket < $last_days_to)"
    " OR (bucket >= $this_days_from AND bucket < $this_days_to))"
)
# The rest of both weeks, as ranges (DuckDB skips row groups by ranges, not by NOT DAYS): each
# week's days lie within it.
HOURS_AROUND_DAYS = (
    "((bucket >= $prev_start AND bucket < $last_days_from)"
    " OR (bucket >= $last_days_to AND bucket < $this_days_from)"
    " OR (bucket >= $this_days_to AND bucket < $end))"
)
# The buckets WEEK_FIGURES reads, each with how many hourly buckets it stands for (`hours`). At
# hourly width: the days in DAYS from the daily rollup, the hours around them (a week in a time
# zone other than UTC starts within a UTC day; the day in progress and days written since the
# last rollup are not in the daily rollup) from hourly buckets; a week of a large fleet is 24
# times fewer rows. 5-minute buckets come as they are: their hours are counted from sets
# (HOUR_SETS), which daily buckets cannot give.
WEEK_BUCKETS = {
    "1h": f"""(
        SELECT * FROM rollup_1d WHERE {DAYS}
        UNION ALL BY NAME
        SELECT *, 1 AS hours FROM {ROLLUP_BUCKETS["1h"]}
        WHERE {HOURS_AROUND_DAYS}
    )""",
    "5m": f"(SELECT *, 1 AS hours FROM {ROLLUP_BUCKETS['5m']})",
}


def on_rollups(sql: str, width: str) -> str:
    """A query over the rollup buckets (`{buckets}`) of `width` ("1h" when both weeks start and
    end on a UTC hour, else "5m": every time zone's offset is a multiple of 5 minutes), or over the
    buckets that answer for a week at that width (`{week_buckets}`, WEEK_BUCKETS); `{width}` is
    that width as an SQL interval, `{hour_set}` the set of hours of a group of buckets where
    spans cannot give it (HOUR_SETS)."""
    return (
        sql.replace("{buckets}", ROLLUP_BUCKETS[width])
        .replace("{week_buckets}", WEEK_BUCKETS[width])
        .replace("{width}", BUCKET_WIDTHS[width])
        .replace("{hour_set}", HOUR_SETS[width])
    )


# A series' hours as one span, from the hour of its first bucket to that of its last, where no
# bucket is missing in between (`unbroken`: its count of buckets fills the span): what series
# collected all week long look like, counted without looking at each bucket's hour.
SPANS = """
SELECT *,
    CAST({lo} AS INTEGER) AS lo, CAST({hi} AS INTEGER) AS hi,
    hour_set IS NULL AND buckets = (
        epoch(time_bucket({{width}}, last_ts)) - epoch(time_bucket({{width}}, first_ts))
    ) / epoch({{width}}) + 1 AS unbroken
FROM per
""".format(
    lo=hour_of("time_bucket({width}, first_ts)"), hi=hour_of("time_bucket({width}, last_ts)")
)


# The hours a span adds to those of the spans before it (ordered by start) in its `partition`:
# summed, the size of their union. Spans not `unbroken` count as their whole span, or not at all.
def _added(partition: str, *, whole: bool = True) -> str:
    hi = "hi" if whole else "CASE WHEN unbroken THEN hi END"
    before = (
        f"max({hi}) OVER (PARTITION BY {partition} ORDER BY lo, hi, integration_id, metric"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    added = f"greatest(0, hi - greatest(lo - 1, coalesce({before}, lo - 1)))"
    return added if whole else f"CASE WHEN unbroken THEN {added} ELSE 0 END"


# SLO compliance counted from rollups, as SLO_COMPLIANCE and WEEK_FIGURES both count it. For
# buckets rolled up alike (`r`: one bucket, or the buckets of a series held to the same SLOs),
# given the integration's current SLOs (`i.lat_slo`, `i.err_slo`): samples within the SLO
# (`ok`; NULL where they straddle an SLO changed since the rollup), timestamps shared by both
# metrics (`shared`), timestamps outside both SLOs where the rollup counted them against the
# current ones (`outside_both`).
def slo_counts(r: str, *, high: str = "max", low: str = "min") -> str:
    """The columns ok, shared and outside_both of buckets `r` (see above), whose largest and
    smallest values are `high` and `low`."""
    slo = f"slo_threshold({r}.metric, i.lat_slo, i.err_slo)"
    return f"""
        CASE
            WHEN {r}.slo = {slo} THEN {r}.within_slo
            WHEN {r}.{high} <= {slo} THEN {r}.n
            WHEN NOT {r}.{low} <= {slo} THEN 0
        END AS ok,
        CASE WHEN i.lat_slo IS NOT NULL AND i.err_slo IS NOT NULL THEN {r}.paired_latency END
            AS shared,
        CASE WHEN {r}.slo = i.err_slo AND {r}.paired_slo = i.lat_slo THEN {r}.paired_outside END
            AS outside_both"""


# The integrations held to an SLO the review reports on (the fleet's, or the team's).
SLO_INTEGRATIONS = """
SELECT id AS integration_id, slo_latency_p95_ms AS lat_slo, slo_error_rate AS err_slo
FROM integrations
WHERE (slo_latency_p95_ms IS NOT NULL OR slo_error_rate IS NOT NULL)
  AND ($team IS NULL OR owner = $team)
"""
# Where the raw samples begin (older buckets cannot be checked against them).
RAW_FROM = "SELECT coalesce(min(ts), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS h FROM samples"
# A week's sums over rows of counts per metric (n, ok, shared), and the shares they give with
# `outside`, the timestamps outside both SLOs: "within both" is the timestamps of either metric
# (less the ones they share) less those outside either SLO (less the ones outside both).
SLO_WEEK_SUMS = """
        sum(n) FILTER (WHERE metric = 'latency_p95_ms') AS n_lat,
        sum(ok) FILTER (WHERE metric = 'latency_p95_ms') AS ok_lat,
        sum(n) FILTER (WHERE metric = 'error_rate') AS n_err,
        sum(ok) FILTER (WHERE metric = 'error_rate') AS ok_err,
        sum(n) - sum(shared) AS stamps, sum(n) - sum(ok) AS bad"""
SLO_SHARES = """
    ok_lat / n_lat AS latency_ok, ok_err / n_err AS error_ok,
    (stamps - bad + outside) / stamps AS within_slo"""


# The week's figures from one pass over its buckets (WEEK_BUCKETS), at four levels (`level`):
#   metric       per integration and metric, both weeks side by side: the weekly value (`this`,
#                `last`) and the newest value (`final`, `last_final`). The weekly value is the
#                mean, a DLQ's peak, and for the error rate the mean weighted by the throughput at
#                the same timestamp (the share of messages that failed, so a batch job's idle
#                minutes do not dilute it; the plain mean without throughput): each error_rate
#                bucket carries the two sums of that pairing (migration 105), so no raw samples
#                are read. Counts, means, peaks and the newest value add up exactly over buckets;
#   integration  per integration: hours of each week with at least one sample, this week's first
#                and last sample, with its inventory name and owner (ids with data but no
#                inventory entry have none);
#   fleet        per week, for the fleet (or team) as a whole: how much of it has any data;
#   slo          per integration held to an SLO and week: SLO compliance as SLO_COMPLIANCE counts
#                it, from each series' buckets as one group where that settles it (`settled`:
#                the series' buckets were all counted against its current SLOs, or are all
#                within or all outside them, and need no timestamps paired; and every bucket can
#                say, as SLO_COMPLIANCE's `complete`); else the review reads SLO_COMPLIANCE.
# Hours come from sets where the width has them (HOUR_SETS), else from spans (SPANS): the union
# of an integration's spans, and the fleet's. Where a series has a gap the union is not known
# from spans: `broken` lists the integration's weeks so (SERIES_HOURS counts them), and the
# fleet's hours are NULL unless its unbroken spans alone give the same union as all spans whole
# (else FLEET_HOURS counts them). A set of hours per series took 40% of this query's time.
# One pass instead of four: each read every bucket of both weeks (half a second to a second
# apiece at 10,000 integrations); the team filter is a semi-join, not the views' join to the
# inventory.
# Both weeks come side by side so the review makes one row per series, not two to pair up.
WEEK_FIGURES = f"""
WITH per AS MATERIALIZED (
    SELECT
        integration_id, metric, {BUCKET_WEEK} AS week, CAST(sum(n) AS BIGINT) AS n,
        CASE metric
            WHEN 'error_rate'
                THEN coalesce(sum(weighted_errors) / nullif(sum(paired_throughput), 0),
                              sum(n * mean) / sum(n))
            WHEN 'dlq_depth' THEN max(max)
            ELSE sum(n * mean) / sum(n)
        END AS weekly,
        arg_max(last, last_ts) AS final,
        CAST(sum(hours) AS BIGINT) AS buckets, {{hour_set}} AS hour_set,
        min(first_ts) AS first_ts, max(last_ts) AS last_ts,
        -- the series' SLO counts, as one group of buckets (slo_counts): the SLOs its buckets
        -- were counted against where all were counted against the same ones, else NULL
        max(max) AS peak, min(min) AS low, sum(within_slo) AS within_slo,
        CASE WHEN count(slo) = count(*) AND min(slo) = max(slo) THEN min(slo) END AS slo,
        CASE WHEN count(paired_slo) = count(*) AND min(paired_slo) = max(paired_slo)
             THEN min(paired_slo) END AS paired_slo,
        CASE WHEN count(paired_outside) = count(*) THEN sum(paired_outside) END
            AS paired_outside,
        sum(paired_latency) AS paired_latency,
        metric <> 'error_rate' OR count(paired_latency) = count(*) AS pair_counted
    FROM {{week_buckets}}
    WHERE bucket >= $prev_start AND bucket < $end
      AND ($team IS NULL OR integration_id IN (SELECT id FROM integrations WHERE owner = $team))
    GROUP BY integration_id, metric, week
),
i AS ({SLO_INTEGRATIONS}),
slo_series AS (
    SELECT p.integration_id, p.metric, p.week, p.n, p.first_ts, p.pair_counted,
           {slo_counts("p", high="peak", low="low")}
    FROM per p JOIN i USING (integration_id)
    WHERE (p.metric = 'latency_p95_ms' AND i.lat_slo IS NOT NULL)
       OR (p.metric = 'error_rate' AND i.err_slo IS NOT NULL)
),
slo AS (
    SELECT
        integration_id, week, {SLO_WEEK_SUMS},
        coalesce(sum(outside_both), 0) AS outside,
        bool_and(ok IS NOT NULL AND (metric <> 'error_rate' OR ok = n OR outside_both IS NOT NULL
                                     OR pairing IS NULL)) AS settled,
        bool_and(pair_counted)
            AND ({RAW_FROM}) <= min(time_bucket({{width}}, first_ts)) AS complete
    FROM (SELECT * REPLACE (coalesce(shared, 0) AS shared), shared AS pairing FROM slo_series)
    GROUP BY integration_id, week
),
spans AS MATERIALIZED ({SPANS}),
by_integration AS (
    SELECT
        integration_id, week,
        CASE WHEN bool_and(hour_set IS NOT NULL) THEN bit_count(bit_or(hour_set))
             ELSE CAST(sum(added) AS BIGINT) END AS hours,
        bool_and(unbroken OR hour_set IS NOT NULL) AS known,
        min(first_ts) AS first_ts, max(last_ts) AS last_ts
    FROM (SELECT *, {_added("integration_id, week")} AS added FROM spans)
    GROUP BY ALL
),
fleet AS (
    SELECT
        week,
        CASE WHEN bool_and(hour_set IS NOT NULL) THEN bit_count(bit_or(hour_set))
             WHEN sum(added) = sum(unbroken_added) THEN CAST(sum(added) AS BIGINT) END AS hours,
           CAST(sum(n) AS BIGINT) AS n, min(first_ts) AS first_ts, max(last_ts) AS last_ts
    FROM (
        SELECT *, {_added("week")} AS added, {_added("week", whole=False)} AS unbroken_added
        FROM spans
    )
    GROUP BY week
)
SELECT 'metric' AS level, integration_id, metric, NULL::VARCHAR AS week,
       any_value(weekly) FILTER (WHERE week = 'this') AS this,
       any_value(weekly) FILTER (WHERE week = 'last') AS last,
       any_value(final) FILTER (WHERE week = 'this') AS final,
       any_value(final) FILTER (WHERE week = 'last') AS last_final,
       NULL::BIGINT AS hours, NULL::BIGINT AS hours_last, NULL::VARCHAR[] AS broken,
       NULL::BIGINT AS n, NULL::TIMESTAMPTZ AS first_ts, NULL::TIMESTAMPTZ AS last_ts,
       NULL::VARCHAR AS name, NULL::VARCHAR AS owner, NULL::BOOLEAN AS inventoried,
       NULL::DOUBLE AS latency_ok, NULL::DOUBLE AS error_ok, NULL::DOUBLE AS within_slo,
       NULL::BOOLEAN AS settled
FROM per GROUP BY integration_id, metric
UNION ALL
SELECT 'integration', b.integration_id, NULL, NULL, NULL, NULL, NULL, NULL,
       any_value(b.hours) FILTER (WHERE b.week = 'this'),
       any_value(b.hours) FILTER (WHERE b.week = 'last'),
       list(b.week) FILTER (WHERE NOT b.known), NULL,
       any_value(b.first_ts) FILTER (WHERE b.week = 'this'),
       any_value(b.last_ts) FILTER (WHERE b.week = 'this'),
       any_value(i.name), any_value(i.owner), any_value(i.id) IS NOT NULL,
       NULL, NULL, NULL, NULL
FROM by_integration b LEFT JOIN integrations i ON i.id = b.integration_id
GROUP BY b.integration_id
UNION ALL
SELECT 'fleet', NULL, NULL, week, NULL, NULL, NULL, NULL, hours, NULL, NULL, n, first_ts,
       last_ts, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM fleet
UNION ALL
SELECT 'slo', integration_id, NULL, week, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, {SLO_SHARES}, settled AND complete
FROM slo
"""

# Hours of the week with data of the integrations and weeks in `$keys` (structs {integration_id,
# week}) whose spans have gaps, and of the fleet (or team) in each week: the sets themselves,
# where WEEK_FIGURES' spans cannot say.
SERIES_HOURS = f"""
SELECT integration_id, {BUCKET_WEEK} AS week, bit_count({HOURS}) AS hours
FROM {{buckets}} r
SEMI JOIN (SELECT unnest($keys, recursive := true)) k
    ON k.integration_id = r.integration_id AND k.week = {BUCKET_WEEK}
WHERE bucket >= $prev_start AND bucket < $end
GROUP BY ALL
"""
FLEET_HOURS = f"""
SELECT {BUCKET_WEEK} AS week, count(DISTINCT CAST({BUCKET_HOUR} AS INTEGER)) AS hours
FROM {{buckets}}
WHERE bucket >= $prev_start AND bucket < $end
  AND ($team IS NULL OR integration_id IN (SELECT id FROM integrations WHERE owner = $team))
GROUP BY ALL
"""

# SLO compliance, by definition: the share of sampled time within the latency SLO, within the
# error-rate SLO, and within both at once (a timestamp counts when every metric with an SLO is
# within it), each sample of v_samples (hourly means where raw samples are past retention)
# against its SLO. Grouping every sample by timestamp took 3 s at 10,000 integrations, so the
# review reads SLO_COMPLIANCE below and this only where buckets cannot answer.
SLO_COMPLIANCE_SAMPLES = f"""
WITH i AS (
    SELECT integration_id, slo_latency_p95_ms, slo_error_rate
    FROM v_integrations
    WHERE inventoried AND (slo_latency_p95_ms IS NOT NULL OR slo_error_rate IS NOT NULL)
      AND ($team IS NULL OR owner = $team)
),
checks AS (
    SELECT
        s.integration_id, s.ts, s.metric, {WEEK} AS week,
        CASE WHEN s.metric = 'latency_p95_ms' THEN s.value <= i.slo_latency_p95_ms
             ELSE s.value <= i.slo_error_rate END AS ok
    FROM v_samples s JOIN i USING (integration_id)
    WHERE s.ts >= $prev_start AND s.ts < $end
      AND ((s.metric = 'latency_p95_ms' AND i.slo_latency_p95_ms IS NOT NULL)
        OR (s.metric = 'error_rate' AND i.slo_error_rate IS NOT NULL))
),
by_metric AS (
    SELECT
        integration_id, week,
        avg(CASE WHEN metric = 'latency_p95_ms' THEN ok::INTEGER END) AS latency_ok,
        avg(CASE WHEN metric = 'error_rate' THEN ok::INTEGER END) AS error_ok
    FROM checks GROUP BY ALL
),
by_time AS (
    SELECT integration_id, week, avg(ok::INTEGER) AS within_slo
    FROM (SELECT integration_id, week, ts, bool_and(ok) AS ok FROM checks GROUP BY ALL)
    GROUP BY ALL
)
SELECT * FROM by_metric JOIN by_time USING (integration_id, week)
"""

# The same numbers from buckets. A bucket rolled up against the SLO its integration still has
# counts its samples within it (`within_slo`, migration 109); any other bucket whose max is
# within the SLO is all within, one whose min is not is all outside; only the samples of buckets
# that straddle a changed SLO are compared one by one. "Within both" counts timestamps: those of
# either metric (latency's and error rate's, less the ones they share: `paired_latency`,
# migration 106) less those outside either SLO (each metric's, less the ones outside both:
# `paired_outside` where both SLOs are unchanged, else the shared timestamps of buckets both
# wholly outside, and sample pairs only where neither bucket is wholly within). `complete` is
# false where buckets cannot say (error-rate buckets rolled up before 106, or buckets older than
# the raw samples, which v_samples replaces by hourly means): the review then reads the
# definition.
SLO_COMPLIANCE = f"""
WITH i AS ({SLO_INTEGRATIONS}),
raw_from AS ({RAW_FROM}),
b AS (  -- each bucket's samples within the current SLO where known (NULL: straddles it)
    SELECT
        r.integration_id, r.metric, r.bucket, r.n, {slo_counts("r")},
        r.paired_latency IS NOT NULL OR r.metric <> 'error_rate' AS pair_counted
    FROM {{buckets}} r JOIN i USING (integration_id)
    WHERE r.bucket >= $prev_start AND r.bucket < $end
      AND ((r.metric = 'latency_p95_ms' AND i.lat_slo IS NOT NULL)
        OR (r.metric = 'error_rate' AND i.err_slo IS NOT NULL))
),
per_metric AS (
    SELECT
        integration_id, metric, {BUCKET_WEEK} AS week, sum(n) AS n, coalesce(sum(ok), 0) AS ok,
        coalesce(sum(shared), 0) AS shared, coalesce(sum(outside_both), 0) AS outside_both,
        bool_and(pair_counted) AND (SELECT h FROM raw_from) <= min(bucket) AS complete
    FROM b GROUP BY ALL
),
rest AS (  -- the buckets not wholly within their SLO (with unchanged SLOs, usually few)
    SELECT *, CASE WHEN ok = 0 THEN 'out' ELSE 'mixed' END AS side
    FROM b WHERE ok IS DISTINCT FROM n
),
pairs AS (  -- buckets without a pair count where neither metric is wholly within its SLO
    SELECT l.integration_id, l.bucket, {BUCKET_WEEK.replace("bucket", "l.bucket")} AS week,
           l.side = 'out' AND e.side = 'out' AS both_out, e.shared
    FROM rest l JOIN rest e ON e.integration_id = l.integration_id AND e.bucket = l.bucket
    WHERE l.metric = 'latency_p95_ms' AND e.metric = 'error_rate' AND e.outside_both IS NULL
      AND e.shared IS NOT NULL
),
sampled AS (  -- the buckets read sample by sample: straddling ones (to count), and both
              -- metrics' buckets where samples outside both SLOs must be paired by timestamp
    SELECT r.integration_id, r.metric, r.bucket, slo_threshold(r.metric, i.lat_slo, i.err_slo) AS slo,
           r.ok IS NULL AS straddles, p.integration_id IS NOT NULL AS paired
    FROM rest r JOIN i USING (integration_id)
    LEFT JOIN (SELECT * FROM pairs WHERE NOT both_out) p USING (integration_id, bucket)
    WHERE r.ok IS NULL OR p.integration_id IS NOT NULL
),
checked AS (  -- one pass over raw samples
    SELECT s.integration_id, s.metric, s.ts, {WEEK} AS week, s.value <= r.slo AS ok,
           r.straddles, r.paired
    FROM samples s
    JOIN sampled r ON r.integration_id = s.integration_id AND r.metric = s.metric
       AND r.bucket = time_bucket({{width}}, s.ts)
    WHERE s.ts >= $prev_start AND s.ts < $end AND s.metric IN ('latency_p95_ms', 'error_rate')
),
straddling AS (
    SELECT integration_id, metric, week, count(*) FILTER (WHERE ok) AS ok
    FROM checked WHERE straddles GROUP BY ALL
),
outside AS (  -- timestamps outside both SLOs
    SELECT integration_id, week, sum(outside_both) AS n FROM per_metric GROUP BY ALL
    UNION ALL
    SELECT integration_id, week, sum(shared) AS n FROM pairs WHERE both_out GROUP BY ALL
    UNION ALL
    SELECT integration_id, week, count(*) AS n
    FROM (
        SELECT integration_id, week, ts FROM checked WHERE paired AND NOT ok
        GROUP BY ALL HAVING count(*) = 2
    )
    GROUP BY ALL
),
metrics AS (
    SELECT p.integration_id, p.week, p.metric, p.n, p.shared, p.complete,
           p.ok + coalesce(s.ok, 0) AS ok
    FROM per_metric p LEFT JOIN straddling s USING (integration_id, metric, week)
),
weeks AS (
    SELECT integration_id, week, {SLO_WEEK_SUMS}, bool_and(complete) AS complete
    FROM metrics GROUP BY ALL
)
SELECT integration_id, week, {SLO_SHARES}, complete
FROM (
    SELECT w.*, coalesce(o.n, 0) AS outside
    FROM weeks w
    LEFT JOIN (SELECT integration_id, week, sum(n) AS n FROM outside GROUP BY ALL) o
        USING (integration_id, week)
)
"""

# Hourly values of chosen series, hour 0 being each week's Monday 00:00 local, one row per series
# and week with its hours and values as lists (a handful of series: ordering lists costs little
# here, unlike for every integration's sparkline, see SPARKLINES). `$keys` lists structs
# {integration_id, metric, week} (week: this or last): the charts' few series, a semi-join on
# the three columns. A DLQ's hour is its peak, every other metric's its mean.
HOURLY = f"""
SELECT integration_id, metric, week, list(hour ORDER BY hour) AS hours,
       list(value ORDER BY hour) AS "values"
FROM (
    SELECT
        integration_id, metric, {BUCKET_WEEK} AS week, CAST({BUCKET_HOUR} AS INTEGER) AS hour,
        CASE WHEN metric = 'dlq_depth' THEN max(max) ELSE sum(n * mean) / sum(n) END AS value
    FROM {{buckets}} r
    SEMI JOIN (SELECT unnest($keys, recursive := true)) k
        ON k.integration_id = r.integration_id AND k.metric = r.metric AND k.week = {BUCKET_WEEK}
    WHERE bucket >= $prev_start AND bucket < $end
    GROUP BY 1, 2, 3, 4
)
GROUP BY 1, 2, 3
"""

# Every integration's throughput this week, hour by hour, for the sparklines (the same values as
# HOURLY would give for those keys), one row per hour: filtered by constants, so only this
# week's buckets are read (the semi-join on 10,000 keys read every bucket of both weeks, a second
# at 10,000 integrations); not gathered into lists per integration, which cost five times the
# query (the review places each value by its hour). An hourly bucket is its hour (no grouping: a
# million groups of one); 5-minute ones are added up.
SPARKLINES = {
    "1h": f"""
        SELECT integration_id, CAST({BUCKET_HOUR} AS INTEGER) AS hour, (n * mean) / n AS value
        FROM {ROLLUP_BUCKETS["1h"]}
        WHERE metric = 'throughput' AND bucket >= $start AND bucket < $end
          AND ($team IS NULL OR integration_id IN (SELECT id FROM integrations WHERE owner = $team))
    """,
    "5m": f"""
        SELECT integration_id, CAST({BUCKET_HOUR} AS INTEGER) AS hour,
               sum(n * mean) / sum(n) AS value
        FROM {ROLLUP_BUCKETS["5m"]}
        WHERE metric = 'throughput' AND bucket >= $start AND bucket < $end
          AND ($team IS NULL OR integration_id IN (SELECT id FROM integrations WHERE owner = $team))
        GROUP BY 1, 2
    """,
}


# The inventory (and ids seen in data but not inventoried) with each one's health as of $as_of:
# the end of a past week, or NULL for now (a week in progress), which is exactly v_health.
INTEGRATIONS = """
SELECT
    i.integration_id, i.name, i.owner, i.tier, i.pattern, i.lifecycle, i.sunset,
    i.slo_latency_p95_ms, i.slo_error_rate, i.last_review, i.review_due, i.runbook,
    i.inventoried, h.health, h.reason
FROM v_integrations i
LEFT JOIN health_at(t := $as_of) h USING (integration_id)
WHERE $team IS NULL OR i.owner = $team
ORDER BY i.integration_id
"""

# Every owner team the inventory knows, for team sections and for "no such team" messages.
TEAMS = """
SELECT DISTINCT owner FROM v_integrations WHERE inventoried AND owner IS NOT NULL ORDER BY owner
"""

# Findings whose problem was present at some point of either week, as they stood at $as_of
# (NULL: now): a resolve after the end of a past week was not known then, so the finding is still
# open in it. A degradation belongs to the week in which it began (its onset), even when it was
# detected after that week ended (by $now, when the review is written). A resolved finding without
# a resolve time counts as resolved when it was last seen.
FINDINGS = """
WITH f AS (
    SELECT *, CASE WHEN status = 'resolved' THEN coalesce(resolved_at, last_seen) END AS resolved
    FROM v_findings
    WHERE onset < $end AND first_seen <= $now
      AND ($team IS NULL OR owner = $team)
),
known AS (
    SELECT *, CASE WHEN resolved <= coalesce($as_of, resolved) THEN resolved END AS resolved_by
    FROM f
)
SELECT
    finding_id, fingerprint, integration_id, metric, detector, severity, summary,
    CASE WHEN resolved_by IS NULL THEN 'open' ELSE 'resolved' END AS status,
    onset, first_seen, last_seen, resolved_by AS resolved_at,
    name, owner, tier, runbook, inventoried
FROM known
WHERE resolved_by IS NULL OR resolved_by >= $prev_start
ORDER BY onset, first_seen
"""

# Alert notifications per week and status (test messages and report posts are not alerts).
NOTIFICATIONS = """
SELECT
    CASE WHEN created_at >= $start THEN 'this' ELSE 'last' END AS week, status, count(*) AS n
FROM v_notifications
WHERE created_at >= $prev_start AND created_at < $end
  AND event NOT IN ('test', 'report')
  AND ($team IS NULL OR owner = $team)
GROUP BY ALL
"""

# Collection sources with failed or partial runs in the week, with the integrations they missed.
FAILED_SOURCES = """
WITH r AS (
    SELECT * FROM v_runs WHERE started_at >= $start AND started_at < $end
)
SELECT
    source, any_value(kind) AS kind,
    count(*) AS runs,
    count(*) FILTER (WHERE status = 'failed') AS failed,
    count(*) FILTER (WHERE status = 'partial') AS partial,
    arg_max(coalesce(error, json_extract_string(failures, '$[0].error')), started_at)
        FILTER (WHERE status <> 'ok') AS last_error,
    max(started_at) FILTER (WHERE status <> 'ok') AS last_failure,
    list_sort(list_distinct(flatten(list(
        list_filter(CAST(json_extract_string(failures, '$[*].integration') AS VARCHAR[]), lambda x: x IS NOT NULL)
    ) FILTER (WHERE status <> 'ok')))) AS affected
FROM r
GROUP BY source
HAVING count(*) FILTER (WHERE status <> 'ok') > 0
ORDER BY failed DESC, partial DESC, source
"""

# Batch jobs in the week (issue 17): runs that began in it (heartbeats, or throughput for jobs
# that never ping), the failed ones with the last failure's log tail, and the cron times missed:
# each job_missed finding that began in the week counts the missed times in a row it covered (its
# evidence), as a degradation belongs to the week in which it began. Runs come from
# `job_runs_between` from the week's start (with a day before it) up to the report's now: what
# `v_job_runs` shows for the week, without deriving every run since 1970 from all throughput.
JOBS = """
WITH runs AS (
    SELECT
        integration_id, any_value(name) AS name, any_value(owner) AS owner,
        count(*) AS runs,
        count(*) FILTER (WHERE status IN ('fail', 'unfinished')) AS failed,
        median(duration_s) AS median_s,
        max(duration_s) AS max_s,
        arg_max(body, coalesce(started_at, finished_at))
            FILTER (WHERE status IN ('fail', 'unfinished')) AS last_failure_body,
        max(coalesce(started_at, finished_at))
            FILTER (WHERE status IN ('fail', 'unfinished')) AS last_failure
    FROM job_runs_between($start, $now, NULL)
    WHERE coalesce(started_at, finished_at) >= $start AND coalesce(started_at, finished_at) < $end
      AND ($team IS NULL OR owner = $team)
    GROUP BY integration_id
),
missed AS (
    SELECT
        integration_id, any_value(name) AS name, any_value(owner) AS owner,
        sum(coalesce(TRY_CAST(json_extract(evidence, '$.missed_in_a_row') AS INTEGER), 1))
            AS missed
    FROM v_findings
    WHERE detector = 'job_missed' AND onset >= $start AND onset < $end AND first_seen <= $now
      AND ($team IS NULL OR owner = $team)
    GROUP BY integration_id
)
SELECT
    integration_id,
    coalesce(r.name, m.name) AS name, coalesce(r.owner, m.owner) AS owner,
    coalesce(r.runs, 0) AS runs, coalesce(r.failed, 0) AS failed,
    coalesce(m.missed, 0) AS missed,
    r.median_s, r.max_s, r.last_failure, r.last_failure_body
FROM runs r FULL OUTER JOIN missed m USING (integration_id)
ORDER BY missed + failed DESC, integration_id
"""

# The row written for every report (the dashboard lists them).
UPSERT_REPORT = """
INSERT INTO reports (report_id, week, team, md_path, html_path, written_at, posted_at, summary)
VALUES ($report_id, $week, $team, $md_path, $html_path, $written_at, NULL, $summary)
ON CONFLICT (report_id) DO UPDATE SET
    md_path = excluded.md_path, html_path = excluded.html_path,
    written_at = excluded.written_at, summary = excluded.summary, posted_at = NULL
"""

MARK_POSTED = "UPDATE reports SET posted_at = $posted_at WHERE report_id = $report_id"
