"""How big the history Seamwatch keeps gets: rollups per 1,000 integrations per year.

Writes N integrations x 6 metrics x D days through the store, rolls it up, then measures the
rollup tables as Seamwatch keeps them (copied alone into a fresh DuckDB file, checkpointed) and
as `seamwatch export --parquet` style Parquet, and scales both to 1,000 integrations and a year.
Raw samples are written every 5 minutes: the rollup rows (one per series and bucket) are the
same as at 1 minute. Run: .venv/bin/python bench/rollup_size.py [--integrations N] [--days D]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import fleet_table
from seamwatch.store import Store

END = datetime(2026, 11, 25, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    step = timedelta(minutes=5)
    scale = 1000 / args.integrations * 365 / args.days
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "s.duckdb", lock_timeout=60)
        store.migrate()
        day = END - timedelta(days=args.days)
        while day < END:
            store.write_samples(
                fleet_table(args.integrations, day, day + timedelta(days=1), step), dedupe=False
            )
            day += timedelta(days=1)
        store.rollup()
        print(
            f"{args.integrations:,} integrations x 6 metrics x {args.days} days, rolled up; "
            "scaled to 1,000 integrations x 365 days:"
        )
        for table in ("rollup_5m", "rollup_1h", "rollup_1d"):
            copy = root / f"{table}.duckdb"
            parquet = root / f"{table}.parquet"
            con = duckdb.connect(str(copy))
            con.execute(f"ATTACH '{store.path}' AS s (READ_ONLY)")
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM s.{table} ORDER BY bucket")
            rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            con.execute(f"COPY {table} TO '{parquet}' (FORMAT parquet)")
            con.execute("DETACH s")
            con.execute("CHECKPOINT")
            con.close()
            db_mb, pq_mb = copy.stat().st_size / 1e6, parquet.stat().st_size / 1e6
            print(
                f"  {table}: {rows * scale / 1e6:7.1f} M rows, DuckDB {db_mb * scale / 1e3:6.2f} GB,"
                f" Parquet {pq_mb * scale / 1e3:6.2f} GB per 1,000 integrations per year"
                f" ({rows / (args.integrations * 6 * args.days):.0f} rows per series-day)"
            )


if __name__ == "__main__":
    main()
