-- Reports: every weekly review written, with where its files are.

CREATE TABLE IF NOT EXISTS reports (
    report_id  VARCHAR PRIMARY KEY,     -- e.g. 2026-W47 or 2026-W47-payments
    week       VARCHAR NOT NULL,        -- ISO week, YYYY-Www
    team       VARCHAR,                 -- NULL for the whole fleet
    md_path    VARCHAR,
    html_path  VARCHAR,
    written_at TIMESTAMPTZ NOT NULL,
    posted_at  TIMESTAMPTZ,
    summary    VARCHAR                  -- the one-paragraph summary posted to chat
);

CREATE OR REPLACE VIEW v_reports AS SELECT * FROM reports;
