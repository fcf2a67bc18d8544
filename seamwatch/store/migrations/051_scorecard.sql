-- The integration checklist as a scorecard (issue 16). The inventory columns the checks need,
-- then `scorecard_at(t)`: every check of every integration, yes / no / n.a. with the reason,
-- as of a moment (today's inventory, data and contract checks up to t), and `v_scorecard`, the
-- same as of now. Which checks count and their weights per tier are policy, applied by the
-- spine's read model (seamwatch/scorecard.py) from config.toml's [scorecard] section.

ALTER TABLE integrations ADD COLUMN IF NOT EXISTS slo_throughput_min DOUBLE;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS slo_dlq_depth_max DOUBLE;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS failure_retries VARCHAR;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS failure_idempotency_key VARCHAR;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS failure_dlq VARCHAR;
ALTER TABLE integrations ADD COLUMN IF NOT EXISTS successor VARCHAR;

-- Checks, by question of the integration checklist:
--   owner             inventoried, with an owner who can be reached: owner and a contact
--   samples           monitored: samples flowing (health not `unmonitored` / `no data`)
--   slo               monitored: at least one SLO set
--   contract          a contract declared: an OpenAPI/AsyncAPI spec or a schema subject
--   contract_valid    the spec fetched and valid at its latest check (n.a. without a spec)
--   failure_handling  retries, idempotency key and DLQ declared (each may say "none")
--   dlq_watched       event/stream only: a DLQ named and its dlq_depth collected
--   classified        tier and pattern set
--   review            reviewed within its cadence
--   deprecation       deprecated only: a sunset date and a successor
-- Retired integrations are n.a. throughout; planned ones are n.a. for samples and dlq_watched.
CREATE OR REPLACE MACRO scorecard_at(t TIMESTAMPTZ := NULL) AS TABLE
WITH moment AS (
    SELECT CAST(coalesce(t, now()) AS DATE) AS today
),
inv AS (
    SELECT i.*,
           i.failure_dlq IS NOT NULL AND NOT starts_with(lower(trim(i.failure_dlq)), 'none') AS has_dlq,
           i.pattern IN ('event', 'stream') AS queued,
           CAST(i.last_review + to_days(i.review_cadence_days) AS DATE) AS review_due
    FROM integrations i
),
health AS (
    SELECT integration_id, health, last_sample FROM health_at(t := t)
),
dlq AS (
    SELECT integration_id, min(coalesce(first_ts, ts)) AS since
    FROM latest
    WHERE metric = 'dlq_depth' AND (t IS NULL OR coalesce(first_ts, ts) <= t)
    GROUP BY integration_id
),
spec AS (
    SELECT c.integration_id, c.status, c.error, c.checked_at, v.format, v.spec_version, v.api_version
    FROM contract_checks c
    LEFT JOIN contract_versions v ON v.integration_id = c.integration_id AND v.seq = c.seq
    WHERE t IS NULL OR c.checked_at <= t
    QUALIFY row_number() OVER (PARTITION BY c.integration_id ORDER BY c.checked_at DESC) = 1
),
raw AS (
    SELECT i.id, 1 AS n, 'owner' AS check_name, 'inventoried with an owner' AS question,
        CASE WHEN i.owner IS NOT NULL AND len(coalesce(i.contacts, [])) > 0 THEN 'yes' ELSE 'no' END AS status,
        CASE
            WHEN i.owner IS NULL THEN 'no owner in the inventory'
            WHEN len(coalesce(i.contacts, [])) = 0 THEN 'owner ' || i.owner || ' has no contact'
            ELSE i.owner || ', contact ' || i.contacts[1]
        END AS reason
    FROM inv i
    UNION ALL
    SELECT i.id, 2, 'samples', 'monitored',
        CASE WHEN i.lifecycle = 'planned' THEN 'n.a.'
             WHEN h.health IN ('unmonitored', 'no data') OR h.health IS NULL THEN 'no' ELSE 'yes' END,
        CASE
            WHEN i.lifecycle = 'planned' THEN 'planned: not live yet'
            WHEN h.health IS NULL OR h.health = 'unmonitored' THEN 'no sample collected yet'
            WHEN h.health = 'no data' THEN 'samples stopped; last one at ' || strftime(h.last_sample, '%Y-%m-%d %H:%M UTC')
            ELSE 'samples flowing, last at ' || strftime(h.last_sample, '%Y-%m-%d %H:%M UTC')
        END
    FROM inv i LEFT JOIN health h ON h.integration_id = i.id
    UNION ALL
    SELECT i.id, 3, 'slo', 'monitored',
        CASE WHEN coalesce(i.slo_latency_p95_ms, i.slo_error_rate, i.slo_throughput_min, i.slo_dlq_depth_max) IS NULL
             THEN 'no' ELSE 'yes' END,
        CASE WHEN coalesce(i.slo_latency_p95_ms, i.slo_error_rate, i.slo_throughput_min, i.slo_dlq_depth_max) IS NULL
             THEN 'no SLO in the inventory'
             ELSE 'SLOs: ' || concat_ws(', ',
                 'p95 ≤ ' || CAST(i.slo_latency_p95_ms AS VARCHAR) || ' ms',
                 'errors ≤ ' || CAST(round(i.slo_error_rate * 100, 3) AS VARCHAR) || '%',
                 'throughput ≥ ' || CAST(i.slo_throughput_min AS VARCHAR) || '/s',
                 'DLQ ≤ ' || CAST(i.slo_dlq_depth_max AS VARCHAR))
        END
    FROM inv i
    UNION ALL
    SELECT i.id, 4, 'contract', 'contract',
        CASE WHEN coalesce(i.contract_spec, i.contract_schema) IS NULL THEN 'no' ELSE 'yes' END,
        CASE
            WHEN i.contract_spec IS NOT NULL THEN 'spec ' || i.contract_spec
            WHEN i.contract_schema IS NOT NULL THEN 'schema subject ' || i.contract_schema
            ELSE 'no contract declared (contract.spec or contract.schema_subject)'
        END
    FROM inv i
    UNION ALL
    SELECT i.id, 5, 'contract_valid', 'contract',
        CASE WHEN i.contract_spec IS NULL THEN 'n.a.' WHEN s.status = 'ok' THEN 'yes' ELSE 'no' END,
        CASE
            WHEN i.contract_spec IS NULL AND i.contract_schema IS NOT NULL THEN 'no spec to fetch (schema subject only)'
            WHEN i.contract_spec IS NULL THEN 'no spec declared'
            WHEN s.status IS NULL THEN 'not checked yet (seamwatch contracts check)'
            WHEN s.status = 'ok' THEN 'valid ' || CASE s.format WHEN 'openapi' THEN 'OpenAPI ' ELSE 'AsyncAPI ' END
                || coalesce(s.spec_version, '') || coalesce(', version ' || s.api_version, '')
                || ', checked ' || strftime(s.checked_at, '%Y-%m-%d %H:%M UTC')
            ELSE s.status || ': ' || coalesce(s.error, '?')
        END
    FROM inv i LEFT JOIN spec s ON s.integration_id = i.id
    UNION ALL
    SELECT i.id, 6, 'failure_handling', 'failure handling',
        CASE WHEN i.failure_retries IS NOT NULL AND i.failure_idempotency_key IS NOT NULL
                  AND i.failure_dlq IS NOT NULL THEN 'yes' ELSE 'no' END,
        CASE WHEN i.failure_retries IS NOT NULL AND i.failure_idempotency_key IS NOT NULL AND i.failure_dlq IS NOT NULL
             THEN 'retries ' || i.failure_retries || '; idempotency key ' || i.failure_idempotency_key || '; DLQ ' || i.failure_dlq
             ELSE 'not declared: ' || concat_ws(', ',
                 CASE WHEN i.failure_retries IS NULL THEN 'retries' END,
                 CASE WHEN i.failure_idempotency_key IS NULL THEN 'idempotency_key' END,
                 CASE WHEN i.failure_dlq IS NULL THEN 'dlq' END)
        END
    FROM inv i
    UNION ALL
    SELECT i.id, 7, 'dlq_watched', 'failure handling',
        CASE WHEN NOT coalesce(i.queued, FALSE) OR i.lifecycle = 'planned' THEN 'n.a.'
             WHEN i.has_dlq AND d.since IS NOT NULL THEN 'yes' ELSE 'no' END,
        CASE
            WHEN NOT coalesce(i.queued, FALSE) THEN 'not an event or stream integration'
            WHEN i.lifecycle = 'planned' THEN 'planned: not live yet'
            WHEN NOT i.has_dlq THEN 'no DLQ named in failure_handling.dlq'
            WHEN d.since IS NULL THEN 'DLQ ' || i.failure_dlq || ' declared, but no dlq_depth samples'
            ELSE 'DLQ ' || i.failure_dlq || ', dlq_depth collected since ' || strftime(d.since, '%Y-%m-%d')
        END
    FROM inv i LEFT JOIN dlq d ON d.integration_id = i.id
    UNION ALL
    SELECT i.id, 8, 'classified', 'classified',
        CASE WHEN i.tier IS NOT NULL AND i.pattern IS NOT NULL THEN 'yes' ELSE 'no' END,
        CASE WHEN i.tier IS NOT NULL AND i.pattern IS NOT NULL
             THEN 'tier ' || CAST(i.tier AS VARCHAR) || ', ' || i.pattern ELSE 'tier or pattern missing' END
    FROM inv i
    UNION ALL
    SELECT i.id, 9, 'review', 'reviewed on a cadence',
        CASE WHEN i.last_review IS NULL OR i.review_due < m.today THEN 'no' ELSE 'yes' END,
        CASE
            WHEN i.last_review IS NULL THEN 'never reviewed (no last_review)'
            WHEN i.review_due < m.today THEN 'review overdue since ' || CAST(i.review_due AS VARCHAR)
                || ' (last ' || CAST(i.last_review AS VARCHAR) || ')'
            ELSE 'reviewed ' || CAST(i.last_review AS VARCHAR) || ', next due ' || CAST(i.review_due AS VARCHAR)
        END
    FROM inv i, moment m
    UNION ALL
    SELECT i.id, 10, 'deprecation', 'deprecation plan',
        CASE WHEN i.lifecycle <> 'deprecated' THEN 'n.a.'
             WHEN i.sunset IS NOT NULL AND i.successor IS NOT NULL THEN 'yes' ELSE 'no' END,
        CASE
            WHEN i.lifecycle <> 'deprecated' THEN 'not deprecated'
            WHEN i.sunset IS NOT NULL AND i.successor IS NOT NULL
                THEN 'sunset ' || CAST(i.sunset AS VARCHAR) || ', successor ' || i.successor
            ELSE 'missing: ' || concat_ws(', ',
                CASE WHEN i.sunset IS NULL THEN 'sunset' END,
                CASE WHEN i.successor IS NULL THEN 'successor' END)
        END
    FROM inv i
)
SELECT
    r.id AS integration_id, i.name, i.owner, i.tier, i.pattern, i.lifecycle,
    r.check_name, r.n AS check_order, r.question,
    CASE WHEN i.lifecycle = 'retired' THEN 'n.a.' ELSE r.status END AS status,
    CASE WHEN i.lifecycle = 'retired' THEN 'retired' ELSE r.reason END AS reason
FROM raw r JOIN inv i ON i.id = r.id;

CREATE OR REPLACE VIEW v_scorecard AS
SELECT * FROM scorecard_at() ORDER BY integration_id, check_order;
