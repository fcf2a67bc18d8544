"""Benchmark: samples/s written by the store vs a bare DuckDB insert of the same Arrow table.

1,000 integrations x 6 metrics x 7 days at 1-minute resolution (60 M samples) by default.
Run: .venv/bin/python bench/store_write.py [--integrations N] [--days D]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import fleet_table
from seamwatch.store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=float, default=7)
    args = parser.parse_args()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    batch = fleet_table(args.integrations, start, start + timedelta(days=args.days))
    rows = batch.num_rows
    print(
        f"batch: {rows:,} samples ({args.integrations} integrations x 6 metrics x {args.days:g} days, 1 min)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        bare_path = Path(tmp) / "bare.duckdb"
        con = duckdb.connect(str(bare_path))
        con.execute(
            "CREATE TABLE samples (ts TIMESTAMPTZ NOT NULL, integration_id VARCHAR NOT NULL,"
            " metric VARCHAR NOT NULL, value DOUBLE NOT NULL, source VARCHAR)"
        )
        clock = time.perf_counter()
        con.execute("INSERT INTO samples SELECT * FROM batch")
        con.execute("CHECKPOINT")
        con.close()
        bare = time.perf_counter() - clock
        bare_path.unlink()

        store = Store(Path(tmp) / "store.duckdb")
        store.migrate()
        clock = time.perf_counter()
        result = store.write_samples(batch)
        with store.write() as con:
            con.execute("CHECKPOINT")
        ours = time.perf_counter() - clock
        assert result.written == rows, result

        clock = time.perf_counter()
        again = store.write_samples(batch)
        replay = time.perf_counter() - clock
        assert again.written == 0
    print(f"bare DuckDB insert : {bare:6.2f} s  {rows / bare / 1e6:6.2f} M samples/s")
    print(
        f"store.write_samples: {ours:6.2f} s  {rows / ours / 1e6:6.2f} M samples/s  (idempotent, latest, rollup marks)"
    )
    print(f"same batch again   : {replay:6.2f} s  ({again.written} new rows)")
    print(f"ratio store/bare   : {bare / ours:.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
