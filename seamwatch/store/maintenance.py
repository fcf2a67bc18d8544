"""Rollups (5 minutes, 1 hour) of the ranges written since the last run, and retention."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

log = logging.getLogger(__name__)

ROLLUPS = {"rollup_5m": "5 minutes", "rollup_1h": "1 hour"}
# What detectors read per hour besides n/mean/last (detectors/frame.py): the hourly median and
# the newest sample time, so completed hours are never re-aggregated from raw samples.
EXTRA = {"rollup_5m": "", "rollup_1h": ", median(value) AS median, max(ts) AS last_ts"}


@dataclass(frozen=True)
class RetentionResult:
    """Rows deleted from each table."""

    samples: int
    rollup_5m: int
    rollup_1h: int


def rollup(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute every rollup bucket touched by writes since the last rollup; return buckets."""
    ranges = con.execute("SELECT min(lo), max(hi), count(*) FROM rollup_dirty").fetchone()
    if not ranges or not ranges[2]:
        return 0
    lo, hi = ranges[0], ranges[1]
    written = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for table, width in ROLLUPS.items():
            bucket_lo = con.execute(
                f"SELECT time_bucket(INTERVAL '{width}', CAST(? AS TIMESTAMPTZ))", [lo]
            ).fetchone()[0]  # type: ignore[index]
            con.execute(f"DELETE FROM {table} WHERE bucket >= ? AND bucket <= ?", [bucket_lo, hi])
            con.execute(
                f"""
                INSERT INTO {table} BY NAME
                SELECT time_bucket(INTERVAL '{width}', ts) AS bucket, integration_id, metric,
                       count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max,
                       arg_max(value, ts) AS last, any_value(source) AS source{EXTRA[table]}
                FROM samples
                WHERE ts >= ? AND ts < time_bucket(INTERVAL '{width}', CAST(? AS TIMESTAMPTZ))
                                       + INTERVAL '{width}'
                GROUP BY ALL
                """,
                [bucket_lo, hi],
            )
            written += int(
                con.execute(
                    f"SELECT count(*) FROM {table} WHERE bucket >= ? AND bucket <= ?",
                    [bucket_lo, hi],
                ).fetchone()[0]  # type: ignore[index]
            )
        con.execute("DELETE FROM rollup_dirty")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    log.info("rolled up %s .. %s into %d buckets", lo, hi, written)
    return written


def apply_retention(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    raw: timedelta,
    rollup_5m: timedelta,
    rollup_1h: timedelta,
) -> RetentionResult:
    """Delete raw samples and rollups older than their retention windows."""
    counts = []
    for table, column, keep in (
        ("samples", "ts", raw),
        ("rollup_5m", "bucket", rollup_5m),
        ("rollup_1h", "bucket", rollup_1h),
    ):
        cutoff = now - keep
        n = con.execute(f"SELECT count(*) FROM {table} WHERE {column} < ?", [cutoff]).fetchone()[0]  # type: ignore[index]
        if n:
            con.execute(f"DELETE FROM {table} WHERE {column} < ?", [cutoff])
        counts.append(int(n))
    # runs are small but unbounded; keep them as long as the hourly rollups.
    con.execute("DELETE FROM runs WHERE started_at < ?", [now - rollup_1h])
    result = RetentionResult(*counts)
    if any(counts):
        log.info("retention removed %s", result)
    return result
