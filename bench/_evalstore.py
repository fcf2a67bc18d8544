"""Shared machinery of the detection benches: a labelled corpus in one real store, evaluated
through the code path of `seamwatch detect --as-of`.

Every series goes into ONE DuckDB store (one integration per series), rolled up as the
scheduler does, and each evaluation runs once over the whole fleet, so a bench costs one
frame load per evaluation time, not one per series.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from detectors.engine import Evaluation, evaluate_as_of
from seamwatch.config import Settings
from seamwatch.inventory import Inventory
from seamwatch.store import SAMPLE_SCHEMA, Store


def samples_table(
    integration_id: str, metric: str, ts: np.ndarray, values: np.ndarray, source: str
) -> pa.Table:
    """One series (epoch seconds, values) as a batch of the store's sample schema."""
    return pa.table(
        {
            "ts": pa.array(
                (np.asarray(ts) * 1_000_000).astype(np.int64), pa.timestamp("us", tz="UTC")
            ),
            "integration_id": pa.array([integration_id] * len(ts), pa.string()),
            "metric": pa.array([metric] * len(ts), pa.string()),
            "value": pa.array(np.asarray(values, dtype=np.float64), pa.float64()),
            "source": pa.array([source] * len(ts), pa.string()),
        },
        schema=SAMPLE_SCHEMA,
    )


def write_batches(store: Store, batches: Iterable[list[pa.Table]]) -> int:
    """Write batches of series (keys unique by construction), then roll up once; returns rows."""
    rows = 0
    for batch in batches:
        if not batch:
            continue
        table = pa.concat_tables(batch)
        store.write_samples(table, dedupe=False)
        rows += table.num_rows
    store.rollup()  # as the scheduler does: evaluations read completed hours from the rollups
    return rows


def detect_as_of(store: Store, as_of: datetime, app_settings: Any | None = None) -> Evaluation:
    """What `seamwatch detect --as-of` computes for the whole store (no inventory)."""
    return evaluate_as_of(store, Inventory(), app_settings or Settings(), as_of)
