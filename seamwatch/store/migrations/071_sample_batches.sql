-- The key digest of every sample batch stored: a batch offered again (a replayed spool file, a
-- repeated backfill chunk, a re-run import) is recognised by it and skipped without joining
-- against stored samples. `key_sum` is the sum of hash(ts, integration_id, metric) over the
-- batch's rows; rows older than the raw retention go with the samples they describe.
CREATE TABLE IF NOT EXISTS sample_batches (
    lo      TIMESTAMPTZ NOT NULL,
    hi      TIMESTAMPTZ NOT NULL,
    rows    BIGINT NOT NULL,
    key_sum HUGEINT NOT NULL
);
