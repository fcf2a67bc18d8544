-- Teams (issue 15): the optional `[[team]]` entity of the inventory, so an owner slug has a
-- name, members, contacts, a chat and an on-call link; and where each integration is declared
-- (file and line) for "edit in your repository" links. An owner no team declares stays allowed:
-- v_teams lists it too, with `declared` false.

ALTER TABLE integrations ADD COLUMN IF NOT EXISTS origin_line INTEGER;

CREATE TABLE IF NOT EXISTS teams (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    description VARCHAR,
    members     VARCHAR[],
    contacts    VARCHAR[],
    chat        VARCHAR,       -- link to the team's chat channel
    oncall      VARCHAR,       -- link to its on-call schedule
    origin      VARCHAR,       -- the inventory file that declares it
    origin_line INTEGER,
    synced_at   TIMESTAMPTZ
);

-- v_integrations: the columns of 001, then `origin_line` at the end.
CREATE OR REPLACE VIEW v_integrations AS
SELECT
    i.id AS integration_id, i.name, i.description, i.owner, i.contacts, i.chat_route,
    i.source_system, i.target_system, i.pattern, i.tier, i.lifecycle, i.sunset,
    i.endpoints, i.contract_spec, i.contract_schema, i.contract_version,
    i.slo_latency_p95_ms, i.slo_error_rate, i.review_cadence_days, i.last_review,
    CAST(i.last_review + to_days(i.review_cadence_days) AS DATE) AS review_due,
    i.runbook, i.tags, i.origin, TRUE AS inventoried, i.origin_line
FROM integrations i
UNION ALL
SELECT
    l.integration_id, l.integration_id, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, FALSE, NULL
FROM (SELECT DISTINCT integration_id FROM latest) l
WHERE l.integration_id NOT IN (SELECT id FROM integrations);

-- Every team: those declared with [[team]] and the owner slugs no team declares.
CREATE OR REPLACE VIEW v_teams AS
WITH owners AS (
    SELECT owner AS team_id, count(*) AS integrations FROM integrations
    WHERE owner IS NOT NULL GROUP BY owner
)
SELECT
    coalesce(t.id, o.team_id) AS team_id,
    coalesce(t.name, o.team_id) AS name,
    t.description, t.members, t.contacts, t.chat, t.oncall, t.origin, t.origin_line,
    (t.id IS NOT NULL) AS declared,
    coalesce(o.integrations, 0) AS integrations
FROM teams t
FULL OUTER JOIN owners o ON o.team_id = t.id;
