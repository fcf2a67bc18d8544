-- Hourly rollups carry what detectors read per hour, so detection stops re-aggregating weeks of
-- raw samples on every run: the hourly median (robust level of latency) and the newest sample
-- time in the hour (freshness). Rows rolled up before this version lack them, so every stored
-- sample range is marked dirty: the next rollup recomputes them, and until then readers fall
-- back to raw samples for dirty hours.
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS median DOUBLE;
ALTER TABLE rollup_1h ADD COLUMN IF NOT EXISTS last_ts TIMESTAMPTZ;
INSERT INTO rollup_dirty SELECT min(ts), max(ts) FROM samples HAVING count(*) > 0;
