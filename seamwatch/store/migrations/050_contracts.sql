-- Contracts that are checked (issue 16): every distinct version of each integration's OpenAPI or
-- AsyncAPI document, every check (reachable? valid?), and the changes between consecutive
-- versions. Written by the contracts job (`seamwatch contracts check`, and on its schedule).

-- One row per distinct document of an integration (digest of its canonical JSON); seq counts
-- the versions of that integration from 1.
CREATE TABLE IF NOT EXISTS contract_versions (
    integration_id VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,
    digest         VARCHAR NOT NULL,
    spec_url       VARCHAR NOT NULL,
    format         VARCHAR NOT NULL,   -- openapi | asyncapi
    spec_version   VARCHAR,            -- the document's openapi/swagger/asyncapi field: 3.1.0
    api_version    VARCHAR,            -- info.version
    title          VARCHAR,
    document       JSON NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    last_seen      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (integration_id, seq)
);

-- Every check of every integration's spec: ok, unreachable (could not fetch or read) or invalid
-- (fetched, but not a valid OpenAPI/AsyncAPI document).
CREATE TABLE IF NOT EXISTS contract_checks (
    integration_id VARCHAR NOT NULL,
    checked_at     TIMESTAMPTZ NOT NULL,
    spec_url       VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    error          VARCHAR,
    digest         VARCHAR,
    seq            INTEGER
);

-- What changed from one version to the next, one row per change, breaking or not.
CREATE TABLE IF NOT EXISTS contract_changes (
    integration_id VARCHAR NOT NULL,
    from_seq       INTEGER NOT NULL,
    to_seq         INTEGER NOT NULL,
    detected_at    TIMESTAMPTZ NOT NULL,
    breaking       BOOLEAN NOT NULL,
    kind           VARCHAR NOT NULL,   -- removed_path, removed_operation, changed_type, ...
    location       VARCHAR NOT NULL,   -- where in the document: "GET /pets/{id} response 200 body.name"
    description    VARCHAR NOT NULL    -- the change in words
);

-- Per integration with a spec: its latest check, its current version and how many it had.
CREATE OR REPLACE VIEW v_contracts AS
WITH last_check AS (
    SELECT * FROM contract_checks
    QUALIFY row_number() OVER (PARTITION BY integration_id ORDER BY checked_at DESC) = 1
),
versions AS (
    SELECT integration_id, count(*) AS versions,
           arg_max(seq, seq) AS current_seq,
           arg_max(format, seq) AS format,
           arg_max(spec_version, seq) AS spec_version,
           arg_max(api_version, seq) AS api_version,
           arg_max(title, seq) AS title,
           arg_max(first_seen, seq) AS current_since
    FROM contract_versions GROUP BY integration_id
),
last_change AS (
    SELECT integration_id, max(to_seq) AS to_seq,
           count(*) FILTER (WHERE breaking) AS breaking_changes,
           count(*) FILTER (WHERE NOT breaking) AS other_changes
    FROM contract_changes
    WHERE (integration_id, to_seq) IN (
        SELECT (integration_id, max(to_seq)) FROM contract_changes GROUP BY integration_id)
    GROUP BY integration_id
)
SELECT
    i.id AS integration_id, i.name, i.owner, i.tier, i.pattern, i.lifecycle,
    coalesce(c.spec_url, i.contract_spec) AS spec_url, i.contract_version AS declared_version,
    c.status, c.error, c.checked_at,
    v.format, v.spec_version, v.api_version, v.title, v.versions, v.current_seq, v.current_since,
    lc.to_seq AS last_change_seq,
    coalesce(lc.breaking_changes, 0) AS last_change_breaking,
    coalesce(lc.other_changes, 0) AS last_change_other
FROM integrations i
LEFT JOIN last_check c ON c.integration_id = i.id
LEFT JOIN versions v ON v.integration_id = i.id
LEFT JOIN last_change lc ON lc.integration_id = i.id
WHERE i.contract_spec IS NOT NULL OR c.integration_id IS NOT NULL;

CREATE OR REPLACE VIEW v_contract_changes AS
SELECT
    ch.integration_id, i.name, i.owner, ch.from_seq, ch.to_seq,
    f.api_version AS from_version, t.api_version AS to_version,
    ch.detected_at, ch.breaking, ch.kind, ch.location, ch.description
FROM contract_changes ch
LEFT JOIN integrations i ON i.id = ch.integration_id
LEFT JOIN contract_versions f ON f.integration_id = ch.integration_id AND f.seq = ch.from_seq
LEFT JOIN contract_versions t ON t.integration_id = ch.integration_id AND t.seq = ch.to_seq;
