"""Benchmark: one `seamwatch detect` run over a large fleet vs a plain read of its rollup rows.

1,000 integrations x 6 metrics x 28 days at 1-minute resolution (242 M samples) by default,
generated with bench/fleet.py and written through the store, then rolled up (the scheduler's
rollup job keeps hourly aggregates current as samples arrive). Detection reads completed hours
from rollup_1h, so the baseline is a plain read of the same rollup rows (the 28 days of hourly
buckets of every series, fetched as Arrow): the floor any detector reading them must pay. Then a
full detection run (frame load, every detector vectorised across series, lifecycle persisted),
with the ratio between them. Targets: under 30 s, within 5x of the read.
At 10,000 integrations write the history at a coarser step (--step 15): the hourly rollups, and
so detection's work, are the same as at 1 minute.
Run: .venv/bin/python bench/detect_fleet.py [--integrations N] [--days D] [--step MIN] [--keep PATH]
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

# The rollup rows detection needs, read plainly: every column the frame uses, no joins.
READ_SQL = """
SELECT integration_id, metric, bucket, n, mean, median, last, last_ts
FROM rollup_1h WHERE bucket >= $lo AND bucket < $hi
"""


def build(
    store: Store, integrations: int, start: datetime, days: int, step: timedelta, chunk: timedelta
) -> int:
    """Write the fleet chunk by chunk (bounded memory); returns the sample count."""
    total, lo, seed = 0, start, 0
    end = start + timedelta(days=days)
    while lo < end:
        seed += 1
        table = fleet_table(integrations, lo, min(lo + chunk, end), step, seed=seed)
        store.write_samples(table, dedupe=False)
        total += table.num_rows
        lo += chunk
    with store.write() as con:
        con.execute("CHECKPOINT")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--step", type=int, default=1, help="minutes between samples")
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
            step = timedelta(minutes=args.step)
            chunk = max(step, step * (4_000_000 // (args.integrations * 6)))
            rows = build(store, args.integrations, start, args.days, step, chunk)
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
            f"fleet: {args.integrations} integrations x 6 metrics x {args.days} days, "
            f"{args.step} min: "
            f"{rows:,} samples in {path}"
        )
        settings = Settings()
        scans, detects = [], []
        for _ in range(args.runs):
            clock = time.perf_counter()
            with store.read() as con:
                hourly = con.sql(READ_SQL, params={"lo": start, "hi": end}).to_arrow_table()
            scans.append(time.perf_counter() - clock)
            clock = time.perf_counter()
            result, outcome = run_detection(store, Inventory(), settings, now=end)
            detects.append(time.perf_counter() - clock)
        scan, detect = min(scans), min(detects)
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in result.seconds.items())
        print(f"plain read of its rollup rows: {scan:6.2f} s ({hourly.num_rows:,} hourly rows)")
        print(
            f"seamwatch detect:             {detect:6.2f} s ({result.series:,} series, "
            f"{len(result.findings)} findings; {outcome.opened} opened)"
        )
        print(f"  breakdown: {parts}")
        print(
            f"ratio detect / read: {detect / scan:.2f}x (target <= 5x); target < 30 s: "
            f"{'ok' if detect < 30 else 'MISSED'}"
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
