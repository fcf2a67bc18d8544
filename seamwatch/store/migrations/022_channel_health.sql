-- A channel that answers with a permanent failure (a deleted webhook: 404, 410) is marked
-- failing until a delivery to it succeeds again; `seamwatch channels list` and the dashboard
-- show it, so a dead channel is not only an undelivered message in each cycle.
CREATE TABLE IF NOT EXISTS channel_health (
    channel     VARCHAR PRIMARY KEY,
    failing     BOOLEAN NOT NULL,
    since       TIMESTAMPTZ,
    last_error  VARCHAR,
    failures    INTEGER NOT NULL DEFAULT 0,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW v_channels AS
SELECT channel, failing, since, last_error, failures, updated_at FROM channel_health;
