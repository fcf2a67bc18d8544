"""What detectors read: hourly aggregates of every series, computed in DuckDB, as dense matrices.

The heavy part (bucketing millions of raw samples into hourly medians per series) runs in DuckDB
and is kept: completed hours are read from the hourly rollups, raw samples are aggregated only
for hours written since the last rollup. Detectors then work on (series x hours) numpy
matrices, vectorised across series. Missing hours are NaN, never zero. Only samples up to
`as_of` are read, so an evaluation "as of" a past time sees exactly what it would have seen then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

import duckdb
import numpy as np
import pyarrow as pa

from seamwatch.inventory import Integration, Inventory
from seamwatch.metrics import LATENCY_METRICS, METRIC_NAMES, Metric
from seamwatch.store import Store
from seamwatch.store.jobs import JobRun, job_runs
from seamwatch.timeutil import ensure_utc

log = logging.getLogger(__name__)

HOUR_S = 3600
RECENT_BUCKET_S = 300
RECENT_SPAN = timedelta(hours=6)
# Metrics whose 5-minute means detectors read for the last hours: burn rates, queues judged on a
# short sliding window, certificates that just turned invalid.
RECENT_METRICS = [
    "error_rate",
    "throughput",
    "backlog",
    "consumers",
    "consume_rate",
    "cert_days_left",
    "cert_valid",
]
HOURLY_BATCH_ROWS = 1_000_000

# Codes run metric by metric (then by integration), so each metric's rows of the matrices are one
# contiguous block: a metric's frame is a view of it, not a copy. `listed` is the order of
# `DetectionFrame.series` (by integration, then metric).
SERIES_SQL = """
SELECT row_number() OVER (ORDER BY metric, integration_id) - 1 AS code,
       row_number() OVER (ORDER BY integration_id, metric) - 1 AS listed,
       integration_id, metric, source
FROM latest WHERE metric IN (SELECT unnest($metrics))
ORDER BY code
"""

# Completed hours come from rollup_1h (maintained incrementally by the rollup job); raw samples
# are aggregated only from $cut on: the first hour written since the last rollup (every write
# records its range in rollup_dirty, so every hour before it is rolled up and current). $cut
# never passes $hi, so the hour containing as_of (and anything after it) is never read from
# rollups. Hours before the first raw sample (raw retention) are read from rollups too.
HOURLY_SQL = """
WITH horizon AS (
    SELECT coalesce(min(ts), $hi) AS h FROM samples WHERE ts >= $cut AND ts < $hi
),
raw AS (
    SELECT integration_id, metric,
           epoch_us(ts) // 3600000000 AS hour,  -- integer math: ~4x cheaper than epoch()
           coalesce(median(value) FILTER (WHERE metric LIKE 'latency%'), avg(value)) AS level,
           avg(value) AS mean,
           arg_max(value, ts) FILTER (WHERE metric = 'dlq_depth') AS last,
           count(*) AS n,
           epoch(max(ts)) AS last_ts
    FROM samples
    WHERE ts >= $cut AND ts < $hi AND isfinite(value)
    GROUP BY ALL
),
rolled AS (
    SELECT r.integration_id, r.metric, epoch_us(r.bucket) // 3600000000 AS hour,
           CASE WHEN r.metric LIKE 'latency%' THEN coalesce(r.median, r.mean) ELSE r.mean END
               AS level,
           r.mean,
           CASE WHEN r.metric = 'dlq_depth' THEN r.last END AS last,
           r.n,
           epoch(coalesce(r.last_ts, r.bucket)) AS last_ts
    FROM rollup_1h r, horizon
    WHERE r.bucket >= $lo AND isfinite(r.mean)
      AND (r.bucket < $cut OR r.bucket <= horizon.h - INTERVAL 1 HOUR)
),
hourly AS (SELECT * FROM raw UNION ALL SELECT * FROM rolled)
SELECT s.code, h.hour, h.level, h.mean, h.last, h.n, h.last_ts
FROM hourly h JOIN series s USING (integration_id, metric)
"""

# The first hour a pending rollup will recompute: rollups before it are current.
DIRTY_SQL = "SELECT min(lo) FROM rollup_dirty"

RECENT_SQL = """
SELECT s.code, epoch_us(ts) // 300000000 AS bucket, avg(value) AS mean
FROM samples JOIN series s USING (integration_id, metric)
WHERE ts > $lo AND ts <= $as_of AND metric IN (SELECT unnest($recent)) AND isfinite(value)
GROUP BY ALL
"""

TAIL_SQL = """
SELECT s.code, epoch(max(ts)) AS last_ts
FROM samples JOIN series s USING (integration_id, metric)
WHERE ts >= $lo AND ts <= $as_of
GROUP BY ALL
"""

LATEST_SQL = """
SELECT s.code, epoch(l.ts) AS last_ts
FROM latest l JOIN series s USING (integration_id, metric)
WHERE l.ts <= $as_of
"""


@dataclass(frozen=True)
class MetricFrame:
    """Every series of one metric on the common hour grid: rows are integrations.

    level: the hourly median for latency (robust to spikes), the hourly mean otherwise (error
    rates and throughput are ratios and rates: the mean keeps low counts honest); last: the last
    value in the hour (queues); count: samples in the hour.
    """

    metric: Metric
    ids: list[str]
    level: np.ndarray
    mean: np.ndarray
    last: np.ndarray
    count: np.ndarray
    recent: np.ndarray  # 5-minute means over the last 6 hours up to as_of (RECENT_METRICS)

    @property
    def size(self) -> int:
        """Number of series."""
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        """The row of each integration id."""
        return {iid: row for row, iid in enumerate(self.ids)}


@dataclass(frozen=True)
class SeriesInfo:
    """Freshness of one series: its newest sample at or before as_of and its source."""

    integration_id: str
    metric: str
    source: str | None
    last_ts: datetime | None


@dataclass(frozen=True)
class DetectionFrame:
    """Everything one evaluation reads: hourly matrices per metric, freshness, inventory."""

    as_of: datetime
    first_hour: int  # epoch hour of column 0; the grid ends with the last complete hour
    hours: int
    metrics: dict[Metric, MetricFrame]
    series: list[SeriesInfo]
    inventory: Inventory
    source_intervals: dict[str, timedelta] = field(default_factory=dict)
    job_runs: dict[str, list[JobRun]] = field(default_factory=dict)  # scheduled jobs' runs

    def get(self, metric: Metric) -> MetricFrame | None:
        """The frame of one metric, if any series of it has samples."""
        return self.metrics.get(metric)

    def integration(self, integration_id: str) -> Integration | None:
        """The inventory entry, if inventoried."""
        return self.inventory.get(integration_id)

    def tier(self, integration_id: str) -> int | None:
        """The criticality tier (None for integrations not inventoried)."""
        integration = self.inventory.get(integration_id)
        return integration.tier if integration else None

    def hour_start(self, column: int) -> datetime:
        """The start of the hour in column `column`."""
        return datetime.fromtimestamp((self.first_hour + column) * HOUR_S, UTC)

    @property
    def hour_of_week(self) -> np.ndarray:
        """Hour of week (0 = Monday 00:00 UTC) of every column."""
        epoch_hours = self.first_hour + np.arange(self.hours)
        return (epoch_hours + 72) % 168  # 1970-01-01 was a Thursday

    @property
    def integration_ids(self) -> set[str]:
        """Every integration with samples (in the window or before it)."""
        return {s.integration_id for s in self.series}


def empty_frame(as_of: datetime, inventory: Inventory, lookback: timedelta) -> DetectionFrame:
    """A frame without samples (a fresh store): only inventory checks have anything to say."""
    hi = int(ensure_utc(as_of).timestamp()) // HOUR_S
    hours = int(lookback.total_seconds()) // HOUR_S
    return DetectionFrame(ensure_utc(as_of), hi - hours, hours, {}, [], inventory)


def load_frame(
    store: Store,
    inventory: Inventory,
    as_of: datetime,
    *,
    lookback: timedelta = timedelta(days=28),
    source_intervals: dict[str, timedelta] | None = None,
    raw_only: bool = False,
) -> DetectionFrame:
    """Read the hourly matrices of every series from the store, using samples up to as_of only.

    Completed hours come from the hourly rollups where they are current; `raw_only` aggregates
    every hour from raw samples instead (the reference the rollup path is tested against).
    """
    as_of = ensure_utc(as_of)
    if not store.exists():
        return empty_frame(as_of, inventory, lookback)
    hi_hour = int(as_of.timestamp()) // HOUR_S
    hours = int(lookback.total_seconds()) // HOUR_S
    lo_hour = hi_hour - hours
    lo = datetime.fromtimestamp(lo_hour * HOUR_S, UTC)
    hi = datetime.fromtimestamp(hi_hour * HOUR_S, UTC)
    try:
        with store.read() as con:
            series = con.sql(SERIES_SQL, params={"metrics": list(METRIC_NAMES)}).to_arrow_table()
            con.register("series", series)
            try:
                cut = lo if raw_only else _rolled_until(con, lo_hour, hi_hour)
                # Streamed into the matrices batch by batch: at 10,000 integrations the rows
                # alone are gigabytes, the matrices a fraction of that.
                hourly = _Hourly(series.column("metric").to_pylist(), lo_hour, hours)
                reader = con.sql(
                    HOURLY_SQL, params={"lo": lo, "cut": cut, "hi": hi}
                ).to_arrow_reader(HOURLY_BATCH_ROWS)
                for batch in reader:
                    hourly.add(pa.Table.from_batches([batch]))
                recent = con.sql(
                    RECENT_SQL,
                    params={"lo": as_of - RECENT_SPAN, "as_of": as_of, "recent": RECENT_METRICS},
                ).to_arrow_table()
                tail = con.sql(TAIL_SQL, params={"lo": hi, "as_of": as_of}).to_arrow_table()
                latest = con.sql(LATEST_SQL, params={"as_of": as_of}).to_arrow_table()
            finally:
                con.unregister("series")
            scheduled = [i.id for i in inventory if i.schedule is not None]
            runs = job_runs(con, scheduled, as_of - lookback, as_of)
    except duckdb.CatalogException:  # a store created before the schema: nothing to read yet
        return empty_frame(as_of, inventory, lookback)
    frame = _assemble(
        as_of, lo_hour, hours, series, hourly, recent, tail, latest, inventory, source_intervals
    )
    return replace(frame, job_runs=runs)


def _rolled_until(con: duckdb.DuckDBPyConnection, lo_hour: int, hi_hour: int) -> datetime:
    """Start of the first hour not served by rollups: the earliest dirty hour, at most `hi`."""
    rows = con.execute(DIRTY_SQL).fetchall()
    dirty = rows[0][0] if rows else None
    cut_hour = hi_hour
    if dirty is not None:
        cut_hour = min(hi_hour, int(ensure_utc(dirty).timestamp()) // HOUR_S)
    return datetime.fromtimestamp(max(lo_hour, cut_hour) * HOUR_S, UTC)


def _col(table: pa.Table, name: str, dtype: type = np.float64) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(dtype, copy=False)


# Metrics whose hourly mean is not their level (latency's level is the median), and the one whose
# last value detectors read: only these get a matrix of their own. Every other metric's mean is
# its level, and it has no last value (NaN), so neither costs memory at fleet scale.
OWN_MEAN = frozenset(m.value for m in LATENCY_METRICS)
OWN_LAST = frozenset({Metric.DLQ_DEPTH.value})


def _span(metrics: list[str], wanted: frozenset[str]) -> tuple[int, int]:
    """The code range covering every series of the `wanted` metrics (codes run metric by
    metric, so it holds little else)."""
    rows = [code for code, metric in enumerate(metrics) if metric in wanted]
    return (rows[0], rows[-1] + 1) if rows else (0, 0)


class _Hourly:
    """The hourly matrices of every series (rows: series codes, columns: hours), filled from
    batches of the hourly query by flat index (no loop per series), and each series' newest
    sample time."""

    def __init__(self, metrics: list[str], lo_hour: int, hours: int) -> None:
        n_all = len(metrics)
        self.lo_hour, self.hours = lo_hour, hours
        self.level = np.full((n_all, hours), np.nan)
        self.count = np.zeros((n_all, hours))  # calloc'd: untouched pages cost nothing
        self.mean_span = _span(metrics, OWN_MEAN)
        self.last_span = _span(metrics, OWN_LAST)
        self.mean = np.full((self.mean_span[1] - self.mean_span[0], hours), np.nan)
        self.last = np.full((self.last_span[1] - self.last_span[0], hours), np.nan)
        self.newest = np.full(n_all, -np.inf)

    def add(self, table: pa.Table) -> None:
        code = _col(table, "code", np.int64)
        col = _col(table, "hour", np.int64) - self.lo_hour
        keep = (col >= 0) & (col < self.hours)
        everything = bool(keep.all())

        def values(name: str) -> np.ndarray:
            out = _col(table, name)
            return out if everything else out[keep]

        if not everything:
            code, col = code[keep], col[keep]
        flat = code * self.hours + col
        np.put(self.level, flat, values("level"))
        np.put(self.count, flat, values("n"))
        for matrix, (lo, hi), name in (
            (self.mean, self.mean_span, "mean"),
            (self.last, self.last_span, "last"),
        ):
            if hi > lo:
                inside = (code >= lo) & (code < hi)
                np.put(matrix, flat[inside] - lo * self.hours, values(name)[inside])
        np.maximum.at(self.newest, code, values("last_ts"))

    def own(self, which: str, lo: int, hi: int) -> np.ndarray | None:
        """Rows [lo, hi) of the `mean` or `last` matrix, if that metric has its own."""
        start, stop = self.mean_span if which == "mean" else self.last_span
        if start <= lo and hi <= stop and hi > lo:
            matrix = self.mean if which == "mean" else self.last
            return matrix[lo - start : hi - start]
        return None


def _assemble(
    as_of: datetime,
    lo_hour: int,
    hours: int,
    series: pa.Table,
    hourly: _Hourly,
    recent: pa.Table,
    tail: pa.Table,
    latest: pa.Table,
    inventory: Inventory,
    source_intervals: dict[str, timedelta] | None,
) -> DetectionFrame:
    n_all = series.num_rows
    ids = series.column("integration_id").to_pylist()
    metrics = series.column("metric").to_pylist()
    sources = series.column("source").to_pylist()
    listed = _col(series, "listed", np.int64)

    newest = hourly.newest
    for table in (tail, latest):
        if table.num_rows:
            np.maximum.at(newest, _col(table, "code", np.int64), _col(table, "last_ts"))

    n_recent = int(RECENT_SPAN.total_seconds()) // RECENT_BUCKET_S
    end_bucket = int(as_of.timestamp()) // RECENT_BUCKET_S
    recent_values = np.full((n_all, n_recent), np.nan)
    if recent.num_rows:
        rcol = _col(recent, "bucket", np.int64) - (end_bucket - n_recent + 1)
        rkeep = (rcol >= 0) & (rcol < n_recent)
        recent_values[_col(recent, "code", np.int64)[rkeep], rcol[rkeep]] = _col(recent, "mean")[
            rkeep
        ]

    seen = np.isfinite(newest)
    order = np.empty(n_all, dtype=np.int64)
    order[listed] = np.arange(n_all)  # codes in (integration, metric) order
    infos = [
        SeriesInfo(ids[i], metrics[i], sources[i], datetime.fromtimestamp(float(newest[i]), UTC))
        for i in order[seen[order]]
    ]
    frames: dict[Metric, MetricFrame] = {}
    # a series young enough to have only 5-minute buckets still counts (a certificate that
    # just turned invalid, a queue whose consumer stopped minutes after it appeared)
    has_data = np.isfinite(hourly.level).any(axis=1) | np.isfinite(recent_values).any(axis=1)
    bounds = {m: (metrics.index(m), n_all - metrics[::-1].index(m)) for m in set(metrics)}
    for metric in Metric:
        if metric.value not in bounds:
            continue
        lo, hi = bounds[metric.value]
        present = has_data[lo:hi]
        if not present.any():
            continue
        mean = hourly.own("mean", lo, hi)
        last = hourly.own("last", lo, hi)
        parts = {
            "level": hourly.level[lo:hi],
            "mean": hourly.level[lo:hi] if mean is None else mean,
            "last": np.broadcast_to(np.float64(np.nan), (hi - lo, hours)) if last is None else last,
            "count": hourly.count[lo:hi],
            "recent": recent_values[lo:hi],
        }
        rows = np.arange(lo, hi)
        if not present.all():  # views of the block where every series has data, else copies
            rows = rows[present]
            parts = {name: values[present] for name, values in parts.items()}
        frames[metric] = MetricFrame(metric=metric, ids=[ids[i] for i in rows], **parts)
    return DetectionFrame(
        as_of=as_of,
        first_hour=lo_hour,
        hours=hours,
        metrics=frames,
        series=infos,
        inventory=inventory,
        source_intervals=dict(source_intervals or {}),
    )
