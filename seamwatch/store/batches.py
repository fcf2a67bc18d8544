"""The sample batch: an Arrow table of (ts, integration_id, metric, value, source), normalised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seamwatch.metrics import METRIC_NAMES

SAMPLE_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("us", tz="UTC")),
        ("integration_id", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("source", pa.string()),
    ]
)
SAMPLE_COLUMNS = tuple(SAMPLE_SCHEMA.names)


def empty_samples() -> pa.Table:
    """A batch with no rows."""
    return SAMPLE_SCHEMA.empty_table()


def to_sample_table(data: pa.Table | pd.DataFrame, source: str | None = None) -> pa.Table:
    """Cast a DataFrame or Arrow table to the sample schema; fill `source` when absent.

    Raises ValueError naming missing columns or unknown metric names.
    """
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    missing = [c for c in SAMPLE_COLUMNS if c not in table.column_names and c != "source"]
    if missing:
        raise ValueError(f"sample batch lacks column(s) {', '.join(missing)}")
    if "source" not in table.column_names:
        table = table.append_column("source", pa.array([source] * table.num_rows, pa.string()))
    table = table.select(list(SAMPLE_COLUMNS))
    ts = table.column("ts")
    if not pa.types.is_timestamp(ts.type):
        raise ValueError(f"sample column ts has type {ts.type}, expected a timestamp")
    if ts.type.tz is None:
        ts = pc.assume_timezone(ts, "UTC")
    table = table.set_column(0, "ts", ts.cast(pa.timestamp("us", tz="UTC")))
    table = table.cast(SAMPLE_SCHEMA)
    if table.num_rows:
        metrics = pc.unique(table.column("metric")).to_pylist()
        unknown = sorted(str(m) for m in metrics if m not in METRIC_NAMES)
        if unknown:
            raise ValueError(
                f"unknown metric name(s) {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(METRIC_NAMES)})"
            )
    return table


def drop_unusable(table: pa.Table) -> tuple[pa.Table, int]:
    """Drop rows whose value is NaN or infinite, or whose key is null; return the count dropped."""
    if table.num_rows == 0:
        return table, 0
    values = table.column("value").to_numpy(zero_copy_only=False)
    keep = np.isfinite(values)
    for name in ("ts", "integration_id", "metric"):
        keep &= ~table.column(name).is_null().to_numpy(zero_copy_only=False)
    dropped = int((~keep).sum())
    return (table.filter(pa.array(keep)) if dropped else table), dropped
