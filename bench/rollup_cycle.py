"""What the daily rollup adds to a rollup: one collection cycle of a fleet, rolled up with the
daily step and without it (the rollup before migration 110).

    .venv/bin/python bench/rollup_cycle.py STORE [RUNS]

STORE is a fleet store built by `bench/report.py` (copied for each run, never changed). A cycle
is one sample of every series of the store's newest day, written at two moments: at 23:50 of
that day (the day in progress: what nearly every rollup meets, no daily work), and at 00:05 of
the next day (the day's first rollup, which adds up the day that is now over: once a day). The
rollup aggregates the cycle's hour of raw samples into 5-minute and hourly buckets either way.
Runs alternate between with and without the daily step on copies of the same store; prints
wall and CPU time medians and their ratio. The rollup runs every `rollup_interval` (5 minutes).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seamwatch.store import Store, maintenance

MOMENTS = {
    "within the day in progress (23:50)": timedelta(hours=23, minutes=50),
    "the next day's first cycle (00:05)": timedelta(days=1, minutes=5),
}


def main() -> None:
    source = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        for moment, offset in MOMENTS.items():
            timings = {"with the daily step": [], "without": []}
            for run in range(runs):
                for label, times in timings.items():
                    times.append(
                        _rollup_once(source, Path(tmp), offset, run, daily=label != "without")
                    )
            wall = {k: statistics.median(t[0] for t in v) for k, v in timings.items()}
            cpu_s = {k: statistics.median(t[1] for t in v) for k, v in timings.items()}
            print(f"{moment}, medians of {runs}:")
            for label in timings:
                print(f"  rollup {label}: {wall[label]:.2f} s wall, {cpu_s[label]:.2f} s CPU")
            print(
                f"  ratio: {wall['with the daily step'] / wall['without']:.2f}x wall,"
                f" {cpu_s['with the daily step'] / cpu_s['without']:.2f}x CPU"
            )


def _rollup_once(
    source: Path, tmp: Path, offset: timedelta, run: int, *, daily: bool
) -> tuple[float, float]:
    """Wall and CPU seconds of the rollup of one cycle at the newest day's start + `offset`."""
    path = tmp / "copy.duckdb"
    shutil.copy(source, path)
    store = Store(path, lock_timeout=60)
    store.migrate()
    store.rollup()
    series = store.query(
        "SELECT integration_id, metric, time_bucket(INTERVAL 1 DAY, bucket) AS day FROM rollup_1h"
        " WHERE bucket = (SELECT max(bucket) FROM rollup_1h)"
    )
    at = series["day"].iloc[0] + offset + timedelta(seconds=run)
    cycle = pd.DataFrame(
        {"ts": at, "integration_id": series["integration_id"],
         "metric": series["metric"], "value": 1.0}
    )  # fmt: skip
    store.write_samples(cycle, source="bench")
    real = maintenance._rollup_days
    maintenance._rollup_days = real if daily else _skip  # type: ignore[assignment]
    try:
        clock, cpu = time.perf_counter(), time.process_time()
        buckets = store.rollup()
        took = (time.perf_counter() - clock, time.process_time() - cpu)
    finally:
        maintenance._rollup_days = real  # type: ignore[assignment]
    print(
        f"  {len(series):,} series at {at:%Y-%m-%d %H:%M}, daily step {daily}: {buckets:,} buckets, {took[0]:.2f} s",
        flush=True,
    )
    return took


def _skip(*_args: object, **_kwargs: object) -> int:
    """The rollup before migration 110: no daily buckets."""
    return 0


if __name__ == "__main__":
    main()
