-- Alert delivery: the message that carried each notification, claims for exactly-once-ish
-- delivery across restarts and instances, and the payload that was (or will be) sent.
-- The columns of 020 stay as they are (the dashboard reads them); this only adds.

-- Which message a notification row went out in (a grouped message carries several rows), and
-- the silence or maintenance window that muted it (status 'silenced').
ALTER TABLE notifications ADD COLUMN message_id VARCHAR;
ALTER TABLE notifications ADD COLUMN silenced_by VARCHAR;

-- The dedup key identifies one event on one channel; a second claim of it fails here, so two
-- scheduler instances or a restarted one can never send the same event twice.
CREATE UNIQUE INDEX IF NOT EXISTS notifications_dedup_key ON notifications (dedup_key);

-- One row per message handed to a channel: its rendered payload (no secrets: URLs and keys are
-- applied at send time), who holds the claim, and how delivery went.
CREATE TABLE IF NOT EXISTS alert_messages (
    message_id      VARCHAR PRIMARY KEY,   -- also the idempotency key sent to services that take one
    channel         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,      -- the channel's kind: slack, teams, webhook, ...
    event           VARCHAR NOT NULL,      -- open | repeat | resolve | test
    group_key       VARCHAR NOT NULL,      -- what the message grouped by, e.g. system:SAP ERP
    title           VARCHAR NOT NULL,
    findings        INTEGER NOT NULL,      -- findings covered, including any left out by size limits
    payload         JSON NOT NULL,
    status          VARCHAR NOT NULL,      -- pending | sent | failed | undelivered
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,               -- redacted
    created_at      TIMESTAMPTZ NOT NULL,
    claimed_by      VARCHAR,               -- the process that is sending it
    claimed_at      TIMESTAMPTZ,           -- claims older than the lease are taken over
    next_attempt_at TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ
);

CREATE OR REPLACE VIEW v_alert_messages AS
SELECT message_id, channel, kind, event, group_key, title, findings, status, attempts,
       last_error, created_at, sent_at, next_attempt_at, payload
FROM alert_messages;
