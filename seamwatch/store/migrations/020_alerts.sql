-- Alerts: silences (written by the CLI and the dashboard) and the notification log.

CREATE TABLE IF NOT EXISTS silences (
    silence_id VARCHAR PRIMARY KEY,
    matchers   JSON NOT NULL,       -- {"integration_id": "x", "detector": "trend", "owner": "payments", ...}; all must match
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    comment    VARCHAR NOT NULL,
    author     VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expired_at TIMESTAMPTZ          -- set when expired early by hand
);

-- One row per message Seamwatch decided to send (or not, with the reason).
CREATE TABLE IF NOT EXISTS notifications (
    notification_id VARCHAR PRIMARY KEY,
    dedup_key       VARCHAR NOT NULL,   -- identifies the event (finding episode + event + sequence + channel); unique per send
    finding_id      VARCHAR,            -- NULL for test messages and report summaries
    integration_id  VARCHAR,
    channel         VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,   -- open | repeat | resolve | test | report
    status          VARCHAR NOT NULL,   -- pending | sent | failed | undelivered | silenced | dry-run
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);

CREATE OR REPLACE VIEW v_silences AS
SELECT *, (expired_at IS NULL AND starts_at <= now() AND ends_at > now()) AS active FROM silences;

CREATE OR REPLACE VIEW v_notifications AS
SELECT n.*, i.name, i.owner
FROM notifications n LEFT JOIN integrations i ON i.id = n.integration_id;
