"""Rollups (5 minutes, 1 hour, 1 day) of the ranges written since the last run, and retention."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta

import duckdb

log = logging.getLogger(__name__)

# In this order: the hourly rollup adds up the 5-minute one's error pairs (ERROR_PAIRS).
ROLLUPS = {"rollup_5m": "5 minutes", "rollup_1h": "1 hour"}
# Raw samples aggregated per transaction by a rollup: a chunk of ~10 M rows stays well within
# the default memory limit (the hourly median holds its values).
ROLLUP_CHUNK_ROWS = 10_000_000
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
# What detectors read per hour besides n/mean/last (detectors/frame.py): the hourly median and
# the newest sample time, so completed hours are never re-aggregated from raw samples.
# Both record their first and newest sample time (the weekly review's "data from ... to ...").
EXTRA = {
    "rollup_5m": ", min(ts) AS first_ts, max(ts) AS last_ts",
    "rollup_1h": ", median(value) AS median, min(ts) AS first_ts, max(ts) AS last_ts",
}

# The SLO a latency or error-rate bucket's samples were held to and how many were within it
# (migration 109): the weekly review's compliance adds these up while the SLOs are unchanged.
SLO_COUNT = """,
    any_value(slo) AS slo,
    CASE WHEN any_value(slo) IS NOT NULL THEN count(*) FILTER (WHERE value <= slo) END
        AS within_slo"""

# The throughput-weighted error rate's two sums per error_rate bucket (migration 105): error
# rate x throughput, and the throughput, over the bucket's timestamps that have both; how many
# of its timestamps have a latency sample (106) and how many of those were outside both SLOs
# (109). A week's weighted rate is then a sum over buckets; an hour is rolled up whole (every
# metric), so a throughput written late re-pairs the hour's error rates. Raw samples are paired
# once, into the 5-minute buckets (the `error_pairs` macro, which the rollup views' tail uses
# too); the hourly ones add those up (written just before, in the same transaction).
ERROR_PAIRS = {
    "rollup_5m": "SELECT * FROM error_pairs($lo, $hi, INTERVAL 5 MINUTE)",
    "rollup_1h": """
        SELECT time_bucket(INTERVAL 1 HOUR, bucket) AS bucket, integration_id, metric,
               sum(weighted_errors) AS weighted_errors, sum(paired_throughput) AS paired_throughput,
               sum(paired_latency) AS paired_latency, any_value(paired_slo) AS paired_slo,
               sum(paired_outside) AS paired_outside
        FROM rollup_5m
        WHERE bucket >= $lo AND bucket < $hi AND metric = 'error_rate'
        GROUP BY ALL
    """,
}

# Alert history (migrations 020/021) is pruned one finding episode at a time, all its rows at
# once, so a dedup key is never gone while another row of the episode could make the notifier
# plan that event again. An episode goes when the finding is not open, resolved before the
# cutoff, every row of it is older than the cutoff and nothing of it is unfinished (a pending
# claim is re-sent after its lease, a failed message retried: both are still owed). Without its
# sent open row a resolved finding is no longer a notify candidate, so nothing is re-announced.
# A resolve still owed a whole retention after the finding resolved is given up with it.
PRUNE_NOTIFICATIONS = """
WITH rows AS (
    SELECT n.finding_id, greatest(n.created_at, coalesce(n.sent_at, n.created_at)) AS touched,
           n.status IN ('pending', 'failed') OR coalesce(m.status IN ('pending', 'failed'), FALSE) AS unfinished
    FROM notifications n LEFT JOIN alert_messages m ON m.message_id = n.message_id
    WHERE n.finding_id IS NOT NULL
),
old AS (
    SELECT finding_id FROM rows GROUP BY finding_id
    HAVING max(touched) < $cutoff AND NOT bool_or(unfinished)
),
episodes AS (
    SELECT o.finding_id FROM old o LEFT JOIN findings f ON f.finding_id = o.finding_id
    WHERE f.finding_id IS NULL OR (f.status <> 'open' AND coalesce(f.resolved_at, f.last_seen) < $cutoff)
)
DELETE FROM notifications
WHERE finding_id IN (SELECT finding_id FROM episodes)
   OR (finding_id IS NULL AND greatest(created_at, coalesce(sent_at, created_at)) < $cutoff
       AND status NOT IN ('pending', 'failed'))  -- test messages and report posts: row by row
"""

# A message goes once no notification row refers to it any more and it is finished and old.
PRUNE_MESSAGES = """
DELETE FROM alert_messages
WHERE greatest(created_at, coalesce(sent_at, created_at)) < $cutoff
  AND status NOT IN ('pending', 'failed')
  AND message_id NOT IN (SELECT message_id FROM notifications WHERE message_id IS NOT NULL)
"""


@dataclass(frozen=True)
class RetentionResult:
    """Rows deleted from each table."""

    samples: int
    rollup_5m: int
    rollup_1h: int
    notifications: int = 0
    alert_messages: int = 0
    rollup_1d: int = 0


def rollup(con: duckdb.DuckDBPyConnection, *, chunk_rows: int = ROLLUP_CHUNK_ROWS) -> int:
    """Recompute every rollup bucket touched by writes since the last rollup; return buckets.

    Dirty ranges are merged into disjoint whole hours (a backfill of last year and today's
    cycle are two ranges, not a year between them) and each is aggregated in chunks of whole
    hours holding about `chunk_rows` raw samples, one transaction each, so the first rollup
    of a large backfill works in bounded memory. Then the daily buckets (`rollup_1d`) of the
    days those hours fall in are added up from the hourly ones, in chunks of whole days, for
    days that are over: before the newest day with data, which is added up once a later day
    has data (a day's hourly buckets added up at every 5-minute rollup cost more than the
    rollup itself at the end of the day). The dirty marks go once all chunks are done, so
    until then readers take none of these days from `rollup_1d` (`rollup_1d_until`); a crash
    in between only repeats work (a chunk replaces its buckets).
    """
    marks = con.execute("SELECT lo, hi FROM rollup_dirty ORDER BY lo").fetchall()
    if not marks:
        return 0
    written = 0
    hours_written = _merge_hours(marks)
    for lo, hi in hours_written:
        total = con.execute(
            "SELECT count(*) FROM samples WHERE ts >= ? AND ts < ?", [lo, hi]
        ).fetchone()[0]  # type: ignore[index]
        for cursor, upto in _chunks(lo, hi, _HOUR, rows=total, chunk_rows=chunk_rows):
            written += _rollup_chunk(con, cursor, upto)
        log.info("rolled up %s .. %s (%d samples)", lo, hi, total)
    # days before `over` were over at the last rollup (none yet: from the first hour written)
    (over,) = con.execute("SELECT days_until FROM rollup_1d_state").fetchall()[0]
    over = over or _floor_day(hours_written[0][0])
    until = max(over, _floor_day(hours_written[-1][1] - _HOUR))  # the newest day is not over
    for lo, hi in _merge_days([*hours_written, (over, until)]):
        if lo < until:
            written += _rollup_days(con, lo, min(hi, until), chunk_rows=chunk_rows)
    con.execute("UPDATE rollup_1d_state SET days_until = ?", [until])
    con.execute("DELETE FROM rollup_dirty")
    return written


def _rollup_chunk(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> int:
    """Replace the 5-minute and hourly buckets in [lo, hi) (whole hours) from raw samples."""
    written = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for table, width in ROLLUPS.items():
            con.execute(f"DELETE FROM {table} WHERE bucket >= ? AND bucket < ?", [lo, hi])
            aggregate = f"""
                SELECT time_bucket(INTERVAL '{width}', ts) AS bucket, integration_id, metric,
                       count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max,
                       arg_max(value, ts) AS last, any_value(source) AS source{EXTRA[table]}{SLO_COUNT}
                FROM samples_with_slo($lo, $hi) WHERE metric {{}} 'error_rate'
                GROUP BY ALL
            """
            # error_rate buckets get their pairs by a join of those rows only (a quarter of a
            # fleet's buckets, not all of them)
            insert = f"""
                INSERT INTO {table} BY NAME
                {aggregate.format("<>")}
                UNION ALL BY NAME
                SELECT g.*, p.weighted_errors, p.paired_throughput, p.paired_latency,
                       p.paired_slo, p.paired_outside
                FROM ({aggregate.format("=")}) g
                LEFT JOIN ({ERROR_PAIRS[table]}) p USING (bucket, integration_id, metric)
            """
            row = con.execute(insert, {"lo": lo, "hi": hi}).fetchone()
            written += int(row[0])  # type: ignore[index]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written


def _rollup_days(
    con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime, *, chunk_rows: int
) -> int:
    """Replace the daily buckets in [lo, hi) (whole days) from the hourly ones, in chunks of
    whole days holding about `chunk_rows` hourly buckets, one transaction each."""
    total = con.execute(
        "SELECT count(*) FROM rollup_1h WHERE bucket >= ? AND bucket < ?", [lo, hi]
    ).fetchone()[0]  # type: ignore[index]
    written = 0
    for cursor, upto in _chunks(lo, hi, _DAY, rows=total, chunk_rows=chunk_rows):
        con.execute("BEGIN TRANSACTION")
        try:
            written += _replace_days(con, cursor, upto)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return written


def _chunks(
    lo: datetime, hi: datetime, unit: timedelta, *, rows: int, chunk_rows: int
) -> Iterator[tuple[datetime, datetime]]:
    """[lo, hi) (whole `unit`s holding `rows` rows) as consecutive ranges of whole units holding
    about `chunk_rows` rows each (at least one unit)."""
    units = max(1, int((hi - lo) / unit))
    step = unit * max(1, min(units, chunk_rows // max(1, rows // units)))
    cursor = lo
    while cursor < hi:
        upto = min(cursor + step, hi)
        yield cursor, upto
        cursor = upto


def _replace_days(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> int:
    """Replace the daily buckets in [lo, hi) from the hourly ones (within the caller's
    transaction); return the days written."""
    con.execute("DELETE FROM rollup_1d WHERE bucket >= ? AND bucket < ?", [lo, hi])
    row = con.execute(
        "INSERT INTO rollup_1d SELECT * FROM daily_buckets(?, ?)", [lo, hi]
    ).fetchone()
    return int(row[0])  # type: ignore[index]


def _merge_days(hours: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """[start, end) ranges of whole hours as disjoint ranges of the whole days they touch (two
    ranges within one day become that day, once); empty ranges touch no day."""
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(r for r in hours if r[1] > r[0]):
        start = _floor_day(lo)
        end = _floor_day(hi - _HOUR) + _DAY
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _merge_hours(marks: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Dirty (lo, hi) marks, inclusive of hi, as disjoint [start, end) ranges of whole hours."""
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in marks:
        start = _floor_hour(lo)
        end = _floor_hour(hi) + _HOUR
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _floor_day(at: datetime) -> datetime:
    """The start of `at`'s UTC day (the daily rollup's buckets are UTC days)."""
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def apply_retention(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    *,
    raw: timedelta,
    rollup_5m: timedelta,
    rollup_1h: timedelta,
    alert_history: timedelta = timedelta(days=90),
) -> RetentionResult:
    """Delete raw samples, rollups and alert history older than their retention windows."""
    counts = []
    for table, column, keep in (("samples", "ts", raw), ("rollup_5m", "bucket", rollup_5m)):
        cutoff = now - keep
        n = con.execute(f"SELECT count(*) FROM {table} WHERE {column} < ?", [cutoff]).fetchone()[0]  # type: ignore[index]
        if n:
            con.execute(f"DELETE FROM {table} WHERE {column} < ?", [cutoff])
        counts.append(int(n))
    hourly, daily = _hourly_and_daily_retention(con, now - rollup_1h)
    counts.append(hourly)
    con.execute("DELETE FROM sample_batches WHERE hi < ?", [now - raw])
    # runs are small but unbounded; keep them as long as the hourly rollups.
    con.execute("DELETE FROM runs WHERE started_at < ?", [now - rollup_1h])
    result = RetentionResult(
        *counts, *prune_alert_history(con, now - alert_history), rollup_1d=daily
    )
    if any(astuple(result)):
        log.info("retention removed %s", result)
    return result


def _hourly_and_daily_retention(
    con: duckdb.DuckDBPyConnection, cutoff: datetime
) -> tuple[int, int]:
    """Delete hourly buckets before `cutoff` and the days before its day, and re-add the day it
    cuts from the hours still stored, in one transaction: a day never holds more than its hours
    (re-added also wherever it does, as after a crash of a version that did this in steps).
    Returns the hourly and daily rows deleted."""
    day = _floor_day(cutoff)
    con.execute("BEGIN TRANSACTION")
    try:
        ((hourly, daily),) = con.execute(
            "SELECT (SELECT count(*) FROM rollup_1h WHERE bucket < $cutoff),"
            " (SELECT count(*) FROM rollup_1d WHERE bucket < $day)",
            {"cutoff": cutoff, "day": day},
        ).fetchall()
        if hourly:
            con.execute("DELETE FROM rollup_1h WHERE bucket < ?", [cutoff])
        if daily:
            con.execute("DELETE FROM rollup_1d WHERE bucket < ?", [day])
        ((over, stored, added),) = con.execute(
            "SELECT (SELECT days_until FROM rollup_1d_state),"
            " (SELECT count(*) FROM rollup_1h WHERE bucket >= $day AND bucket < $next),"
            " (SELECT coalesce(sum(hours), 0) FROM rollup_1d WHERE bucket = $day)",
            {"day": day, "next": day + _DAY},
        ).fetchall()
        if day < cutoff and over is not None and day < over and stored != added:
            _replace_days(con, day, day + _DAY)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return int(hourly), int(daily)


def prune_alert_history(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> tuple[int, int]:
    """Delete finished alert history older than `cutoff`; return (notifications, messages)."""
    con.execute("BEGIN TRANSACTION")
    try:
        rows = con.execute(PRUNE_NOTIFICATIONS, {"cutoff": cutoff}).fetchone()[0]  # type: ignore[index]
        messages = con.execute(PRUNE_MESSAGES, {"cutoff": cutoff}).fetchone()[0]  # type: ignore[index]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return int(rows), int(messages)
