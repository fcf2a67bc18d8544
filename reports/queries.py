"""Every SQL the weekly review runs, by name, against the documented views only.

Parameters (bound, never formatted in): `$start`/`$end` bound the report's week (UTC instants,
end exclusive), `$prev_start` the week before it (which ends at `$start`), `$team` an owner team
or NULL for the whole fleet, `$as_of` the moment whose state the report shows (the last instant
of a past week; NULL for a week in progress: now). Every query that looks at two weeks labels rows `this` or `last`.
"""

from __future__ import annotations

WEEK = "CASE WHEN ts >= $start THEN 'this' ELSE 'last' END"
# The same for rollup buckets: a bucket lies within one week, since the view's width divides
# both weeks' starts (see `on_rollups`).
BUCKET_WEEK = "CASE WHEN bucket >= $start THEN 'this' ELSE 'last' END"
# Hour of the week (0 = its Monday 00:00 local) of a bucket.
BUCKET_HOUR = (
    "floor((epoch(bucket) - epoch(CASE WHEN bucket >= $start THEN $start ELSE $prev_start END))"
    " / 3600)"
)
ROLLUP_VIEWS = {"1h": "v_rollup_1h", "5m": "v_rollup_5m"}


def on_rollups(sql: str, width: str) -> str:
    """A query over the documented rollup view of `width` ("1h" when both weeks start on a UTC
    hour, else "5m": every time zone's offset is a multiple of 5 minutes)."""
    return sql.replace("{rollup}", ROLLUP_VIEWS[width])


# Per integration, metric and week: the figures of the per-integration table, from rollup
# buckets (counts, means, peaks and the newest value add up exactly). The error rate is also
# weighted by the throughput at the same timestamp (the share of messages that failed), so a
# batch job's idle minutes do not dilute it: each error_rate bucket carries the two sums of that
# pairing (migration 105), so the week's weighted rate is their ratio, with no raw samples read.
METRIC_WEEKS = f"""
SELECT
    integration_id, {BUCKET_WEEK} AS week, metric, CAST(sum(n) AS BIGINT) AS n,
    sum(n * mean) / sum(n) AS mean, max(max) AS peak, arg_max(last, last_ts) AS final,
    sum(weighted_errors) / nullif(sum(paired_throughput), 0) AS weighted
FROM {{rollup}}
WHERE bucket >= $prev_start AND bucket < $end AND ($team IS NULL OR owner = $team)
GROUP BY ALL
"""

# Hours of the week with data: the set of a group's hours as a bitstring, counted (a week has
# at most 169 hours, in the autumn; 192 leaves room). count(DISTINCT hour) over every bucket of
# 10,000 integrations materialised all of them first and took five times as long.
HOURS_COVERED = f"bit_count(bitstring_agg(CAST({BUCKET_HOUR} AS INTEGER), 0, 191))"

# Per integration and week: hours of the week with at least one sample, first and last sample.
COVERAGE = f"""
SELECT
    integration_id, {BUCKET_WEEK} AS week, {HOURS_COVERED} AS hours,
    min(first_ts) AS first_ts, max(last_ts) AS last_ts,
    bool_or(inventoried) AS inventoried, any_value(name) AS name, any_value(owner) AS owner
FROM {{rollup}}
WHERE bucket >= $prev_start AND bucket < $end AND ($team IS NULL OR owner = $team)
GROUP BY ALL
"""

# The same for the fleet (or team) as a whole: how much of each week has any data at all.
FLEET_COVERAGE = f"""
SELECT
    {BUCKET_WEEK} AS week, {HOURS_COVERED} AS hours,
    min(first_ts) AS first_ts, max(last_ts) AS last_ts, CAST(sum(n) AS BIGINT) AS samples
FROM {{rollup}}
WHERE bucket >= $prev_start AND bucket < $end AND ($team IS NULL OR owner = $team)
GROUP BY ALL
"""

# SLO compliance: the share of sampled time within the latency SLO, within the error-rate SLO,
# and within both at once (a timestamp counts when every metric with an SLO is within it).
SLO_COMPLIANCE = f"""
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

# Hourly values of chosen series, hour 0 being each week's Monday 00:00 local, one row per series
# and week with its hours and values as lists (millions of hourly values at 10,000 integrations,
# cheaper to hand over as a few thousand lists than as rows). `$keys` lists structs
# {integration_id, metric, week} (week: this or last), so a sparkline reads only this week; a
# semi-join on the three columns (half the time of matching a concatenated key per bucket).
# A DLQ's hour is its peak, every other metric's its mean.
HOURLY = f"""
SELECT integration_id, metric, week, list(hour ORDER BY hour) AS hours,
       list(value ORDER BY hour) AS "values"
FROM (
    SELECT
        integration_id, metric, {BUCKET_WEEK} AS week, CAST({BUCKET_HOUR} AS INTEGER) AS hour,
        CASE WHEN metric = 'dlq_depth' THEN max(max) ELSE sum(n * mean) / sum(n) END AS value
    FROM {{rollup}} r
    SEMI JOIN (SELECT unnest($keys, recursive := true)) k
        ON k.integration_id = r.integration_id AND k.metric = r.metric AND k.week = {BUCKET_WEEK}
    WHERE bucket >= $prev_start AND bucket < $end
    GROUP BY 1, 2, 3, 4
)
GROUP BY 1, 2, 3
"""

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
