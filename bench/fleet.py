"""A synthetic fleet of any size for benchmarks: seasonal, noisy series in the sample schema."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from seamwatch.store import Store
from seamwatch.store.batches import SAMPLE_SCHEMA

BASE = {
    "throughput": 40.0,
    "error_rate": 0.002,
    "latency_p50_ms": 80.0,
    "latency_p95_ms": 250.0,
    "latency_p99_ms": 600.0,
    "dlq_depth": 2.0,
}
# The six metrics every integration of a bench fleet reports (the store knows more: queues,
# certificates; a fleet of 10,000 x 6 is the size the README's figures are for).
FLEET_METRICS: tuple[str, ...] = tuple(BASE)


def integration_ids(count: int) -> list[str]:
    """Stable ids int-0000, int-0001, ..."""
    return [f"int-{i:04d}" for i in range(count)]


def fleet_table(
    integrations: int,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(minutes=1),
    *,
    metrics: tuple[str, ...] = FLEET_METRICS,
    seed: int = 1,
    source: str = "bench",
) -> pa.Table:
    """Samples for `integrations` x `metrics` on a regular grid, unique keys, daily seasonality."""
    rng = np.random.default_rng(seed)
    step_us = int(step.total_seconds() * 1_000_000)
    start_us = int(start.timestamp() * 1_000_000)
    n_steps = int((end - start) / step)
    times = start_us + np.arange(n_steps, dtype=np.int64) * step_us
    hours = (times // 3_600_000_000) % 24
    daily = 1.0 + 0.4 * np.sin((hours - 6) / 24 * 2 * np.pi)
    ids = integration_ids(integrations)
    per_series = n_steps
    n_series = integrations * len(metrics)
    ts = np.tile(times, n_series)
    id_codes = np.repeat(np.arange(integrations, dtype=np.int32), len(metrics) * per_series)
    metric_codes = np.tile(
        np.repeat(np.arange(len(metrics), dtype=np.int32), per_series), integrations
    )
    scale = np.array([BASE[m] for m in metrics])[metric_codes]
    noise = rng.lognormal(0.0, 0.15, size=ts.shape[0])
    values = scale * np.tile(daily, n_series) * noise
    return pa.Table.from_arrays(
        [
            pa.array(ts, pa.timestamp("us", tz="UTC")),
            pa.DictionaryArray.from_arrays(pa.array(id_codes), pa.array(ids)).cast(pa.string()),
            pa.DictionaryArray.from_arrays(pa.array(metric_codes), pa.array(list(metrics))).cast(
                pa.string()
            ),
            pa.array(values, pa.float64()),
            pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(ts.shape[0], dtype=np.int32)), pa.array([source])
            ).cast(pa.string()),
        ],
        schema=SAMPLE_SCHEMA,
    )


OWNERS = ["payments", "logistics", "sales", "finance", "people", "marketing", "platform", None]
PATTERNS = ["sync-api", "event", "batch", "file", "stream"]


def insert_inventory(store: Store, ids: list[str]) -> None:
    """Inventory rows for a bench fleet as a sync would write them: seven owner teams and some
    unowned, five patterns, tiers 1-4, every 50th deprecated, latency and error-rate SLOs, and
    reviews spread over the last 120 days."""
    with store.write() as con:
        con.execute(
            """
            INSERT INTO integrations (id, name, owner, source_system, target_system, pattern, tier,
                lifecycle, slo_latency_p95_ms, slo_error_rate, review_cadence_days, last_review)
            SELECT id, 'Integration ' || id, list_extract(?, 1 + i % 8),
                   'System ' || (i % 37), 'System ' || ((i * 7 + 3) % 41),
                   list_extract(?, 1 + i % 5), 1 + i % 4,
                   CASE WHEN i % 50 = 0 THEN 'deprecated' ELSE 'active' END,
                   400, 0.01, 90, CAST(current_date - to_days(CAST(i % 120 AS INTEGER)) AS DATE)
            FROM (SELECT unnest(?) AS id, generate_subscripts(?, 1) AS i)
            """,
            [OWNERS, PATTERNS, ids, ids],
        )
