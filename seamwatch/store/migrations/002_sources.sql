-- Collector status per source, from the run log: the contract behind `seamwatch sources` and the
-- dashboard's collector page. A source that keeps failing shows a growing failing_streak.
--   last_error        the run's own error, else the first failure it recorded
--   runs_24h          runs started in the last 24 hours
--   failures_24h      of those, runs that were not ok (partial or failed)
--   failing_streak    runs since the last ok run (all runs when it never succeeded)

CREATE INDEX IF NOT EXISTS runs_source_started ON runs (source, started_at);

CREATE OR REPLACE VIEW v_sources AS
WITH runs_ AS (
    SELECT
        source, kind, started_at, finished_at, samples, status,
        coalesce(error, json_extract_string(failures, '$[0].error')) AS problem,
        coalesce(json_array_length(failures), 0) AS failure_count
    FROM runs
),
last_ok AS (
    SELECT source, max(started_at) AS last_ok FROM runs_ WHERE status = 'ok' GROUP BY source
)
SELECT
    r.source,
    arg_max(r.kind, r.started_at) AS kind,
    count(*) AS runs,
    max(r.started_at) AS last_run,
    arg_max(r.status, r.started_at) AS last_status,
    arg_max(r.samples, r.started_at) AS last_samples,
    arg_max(epoch(r.finished_at) - epoch(r.started_at), r.started_at) AS last_duration_s,
    arg_max(r.failure_count, r.started_at) AS last_failures,
    max(l.last_ok) AS last_ok,
    count(*) FILTER (WHERE r.started_at > now() - INTERVAL 1 DAY) AS runs_24h,
    count(*) FILTER (WHERE r.started_at > now() - INTERVAL 1 DAY AND r.status <> 'ok') AS failures_24h,
    count(*) FILTER (WHERE l.last_ok IS NULL OR r.started_at > l.last_ok) AS failing_streak,
    arg_max(r.problem, r.started_at) FILTER (WHERE r.problem IS NOT NULL) AS last_error,
    max(r.started_at) FILTER (WHERE r.problem IS NOT NULL) AS last_error_at
FROM runs_ r
LEFT JOIN last_ok l USING (source)
GROUP BY r.source;
