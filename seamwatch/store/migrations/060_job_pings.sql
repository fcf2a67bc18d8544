-- Heartbeats: what batch jobs report to `seamwatch run`'s ping endpoint, one row per ping, as
-- received (append-only, so a spooled ping replays to the same row). Runs are derived in
-- v_job_runs: a start opens a run, the next success/fail/exit ping of the same integration
-- (and run id, when the job sends one) closes it.
CREATE TABLE IF NOT EXISTS job_pings (
    ping_id        VARCHAR PRIMARY KEY,     -- random id given on receipt
    received_at    TIMESTAMPTZ NOT NULL,
    integration_id VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,        -- start | success | fail
    exit_status    INTEGER,                 -- the job's exit status, when it sent one
    rid            VARCHAR,                 -- the job's own run id (?rid=), pairs start and end
    body           VARCHAR,                 -- the end of the body (log tail), at most max_body
    body_bytes     BIGINT,                  -- the size of the body as sent
    remote         VARCHAR                  -- the sender's address
);

CREATE INDEX IF NOT EXISTS job_pings_integration ON job_pings (integration_id, received_at);

-- One row per run of a batch job that reports in:
--   status      success | fail | running (started, no end yet) | unfinished (a new start came
--               before an end) ; an end without a start is a run with started_at NULL
--   duration_s  finished_at - started_at, when both are known
CREATE OR REPLACE VIEW v_job_runs AS
WITH ordered AS (
    SELECT
        *,
        lag(kind) OVER w AS prev_kind,
        lag(received_at) OVER w AS prev_at,
        lead(kind) OVER w AS next_kind
    FROM job_pings
    WINDOW w AS (PARTITION BY integration_id, coalesce(rid, '') ORDER BY received_at, ping_id)
),
runs AS (
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
        exit_status, body, body_bytes
    FROM ordered
    WHERE kind <> 'start' OR next_kind IS NULL OR next_kind = 'start'
)
SELECT
    r.integration_id, r.rid, r.started_at, r.finished_at,
    epoch(r.finished_at) - epoch(r.started_at) AS duration_s,
    r.status, r.exit_status, r.body, r.body_bytes,
    i.name, i.owner, i.tier, i.pattern, (i.id IS NOT NULL) AS inventoried
FROM runs r
LEFT JOIN integrations i ON i.id = r.integration_id;
