"""Benchmark: one `seamwatch detect` run over a large fleet vs a plain DuckDB hourly scan.

1,000 integrations x 6 metrics x 28 days at 1-minute resolution (242 M samples) by default,
generated with bench/fleet.py and written through the store, then rolled up (the scheduler's
rollup job keeps hourly aggregates current as samples arrive). Then, in the same process: a plain
DuckDB scan that aggregates the same samples by hour (the floor any detector must pay), and a
full detection run (frame load in DuckDB, every detector vectorised across series, lifecycle
persisted), with the ratio between them. Targets: under 20 s, within 5x of the scan.
Run: .venv/bin/python bench/detect_fleet.py [--integrations N] [--days D] [--keep PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import fleet_table
from detectors.engine import run_detection
from seamwatch.config import Settings
from seamwatch.inventory import Inventory
from seamwatch.store import Store

# The cheapest plain hourly aggregation we found (integer hour keys; time_bucket on TIMESTAMPTZ
# goes through the calendar and is several times slower), so the ratio is not flattered.
SCAN_SQL = """
SELECT integration_id, metric, epoch_us(ts) // 3600000000 AS hour, avg(value) AS mean
FROM samples WHERE ts >= $lo AND ts < $hi GROUP BY ALL
"""


def build(store: Store, integrations: int, start: datetime, days: int) -> int:
    """Write the fleet one day at a time (bounded memory); returns the sample count."""
    total = 0
    for day in range(days):
        lo = start + timedelta(days=day)
        table = fleet_table(integrations, lo, lo + timedelta(days=1), seed=day + 1)
        store.write_samples(table, dedupe=False)
        total += table.num_rows
    with store.write() as con:
        con.execute("CHECKPOINT")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the store at PATH")
    parser.add_argument("--runs", type=int, default=2, help="timed repetitions (best is shown)")
    args = parser.parse_args()
    end = datetime(2026, 11, 25, tzinfo=UTC)
    start = end - timedelta(days=args.days)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "fleet.duckdb"
        store = Store(path, lock_timeout=60)
        store.migrate()
        if store.sample_count() == 0:
            clock = time.perf_counter()
            rows = build(store, args.integrations, start, args.days)
            print(f"wrote {rows:,} samples in {time.perf_counter() - clock:.0f}s")
        pending = store.scalar("SELECT count(*) FROM rollup_dirty")
        if pending:  # what the scheduler's rollup job (every 5 min) and bulk writers do
            clock = time.perf_counter()
            buckets = store.rollup()
            print(
                f"rolled up {buckets:,} 5-minute and hourly buckets in "
                f"{time.perf_counter() - clock:.0f}s (once; then only what each write touches)"
            )
        rows = store.sample_count()
        print(
            f"fleet: {args.integrations} integrations x 6 metrics x {args.days} days, 1 min: "
            f"{rows:,} samples in {path}"
        )
        settings = Settings()
        scans, detects = [], []
        for _ in range(args.runs):
            clock = time.perf_counter()
            with store.read() as con:
                hourly = con.sql(SCAN_SQL, params={"lo": start, "hi": end}).to_arrow_table()
            scans.append(time.perf_counter() - clock)
            clock = time.perf_counter()
            result, outcome = run_detection(store, Inventory(), settings, now=end)
            detects.append(time.perf_counter() - clock)
        scan, detect = min(scans), min(detects)
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items())
        print(f"plain DuckDB hourly scan: {scan:6.2f} s ({hourly.num_rows:,} hourly rows)")
        print(
            f"seamwatch detect:         {detect:6.2f} s ({result.series:,} series, "
            f"{len(result.findings)} findings; {outcome.opened} opened)"
        )
        print(f"  breakdown: {parts}")
        print(
            f"ratio detect / scan: {detect / scan:.2f}x (target <= 5x); target < 20 s: "
            f"{'ok' if detect < 20 else 'MISSED'}"
        )
        # The steady state of `seamwatch run`: a collection cycle wrote the next 5 minutes,
        # then detection runs, rolling that range up first.
        later = end + timedelta(minutes=5)
        batch = fleet_table(args.integrations, end, later, seed=args.days + 1)
        store.write_samples(batch, dedupe=True)
        clock = time.perf_counter()
        result, _ = run_detection(store, Inventory(), settings, now=later)
        fresh = time.perf_counter() - clock
        print(
            f"after a fresh 5-minute batch ({batch.num_rows:,} samples): detect {fresh:.2f} s, "
            f"of which rollup {result.seconds['rollup']:.2f} s and load {result.seconds['load']:.2f} s"
        )


if __name__ == "__main__":
    main()
