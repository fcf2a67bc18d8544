-- "Send a test message" from the dashboard (issue 15). The app may not import the alerts stage,
-- and only the daemon holds the channels' secrets, so the app writes a request here and the
-- daemon's notify job answers it: it sends the test message (recorded like any other, event
-- 'test', in alert_messages and notifications) and writes the outcome back on the request.

CREATE TABLE IF NOT EXISTS alert_test_requests (
    request_id   VARCHAR PRIMARY KEY,
    channel      VARCHAR NOT NULL,
    requested_by VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    status       VARCHAR NOT NULL,   -- pending | sent | undelivered | failed | unknown channel
    answered_at  TIMESTAMPTZ,
    message_id   VARCHAR,            -- the alert_messages row of the test message, once sent
    error        VARCHAR             -- redacted, as alert_messages.last_error
);

CREATE OR REPLACE VIEW v_alert_test_requests AS
SELECT request_id, channel, requested_by, requested_at, status, answered_at, message_id, error,
       epoch(coalesce(answered_at, now())) - epoch(requested_at) AS waited_seconds
FROM alert_test_requests;
