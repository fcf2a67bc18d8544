"""What the daily rollup adds to a rollup: one collection cycle of a fleet written near the end
of a UTC day, rolled up with the daily step and without it (the rollup before migration 110).

    .venv/bin/python bench/rollup_cycle.py STORE [RUNS]

STORE is a fleet store built by `bench/report.py` (copied for each run, never changed). The
cycle is one sample of every series the store's last day has, at 23:50 of that day: the rollup
aggregates that hour's raw samples into 5-minute and hourly buckets, and the daily step adds up
the day's hourly buckets again (23 hours of them, its most expensive moment of the day). Runs
alternate between the two on copies of the same store; prints wall and CPU time medians and
their ratio. The rollup runs every `rollup_interval` (5 minutes by default).
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


def main() -> None:
    source = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    daily = maintenance._rollup_days
    timings: dict[str, list[tuple[float, float]]] = {"with the daily step": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "copy.duckdb"
        for run in range(runs):
            for label in timings:
                shutil.copy(source, path)
                store = Store(path, lock_timeout=60)
                store.migrate()
                store.rollup()
                series = store.query(
                    "SELECT integration_id, metric, bucket FROM rollup_1d"
                    " WHERE bucket = (SELECT max(bucket) FROM rollup_1d)"
                )
                at = series["bucket"].iloc[0] + timedelta(hours=23, minutes=50, seconds=run)
                cycle = pd.DataFrame(
                    {"ts": at, "integration_id": series["integration_id"],
                     "metric": series["metric"], "value": 1.0}
                )  # fmt: skip
                store.write_samples(cycle, source="bench")
                maintenance._rollup_days = daily if label != "without" else _skip  # type: ignore[assignment]
                clock, cpu = time.perf_counter(), time.process_time()
                buckets = store.rollup()
                timings[label].append((time.perf_counter() - clock, time.process_time() - cpu))
                maintenance._rollup_days = daily  # type: ignore[assignment]
                print(f"  {label}: {buckets:,} buckets, {timings[label][-1][0]:.2f} s", flush=True)
    print(f"one cycle of {len(series):,} series at {at:%Y-%m-%d %H:%M}, medians of {runs}:")
    wall = {k: statistics.median(t[0] for t in v) for k, v in timings.items()}
    cpu_s = {k: statistics.median(t[1] for t in v) for k, v in timings.items()}
    for label in timings:
        print(f"  rollup {label}: {wall[label]:.2f} s wall, {cpu_s[label]:.2f} s CPU")
    print(
        f"  ratio: {wall['with the daily step'] / wall['without']:.2f}x wall,"
        f" {cpu_s['with the daily step'] / cpu_s['without']:.2f}x CPU"
    )


def _skip(*_args: object, **_kwargs: object) -> int:
    """The rollup before migration 110: no daily buckets."""
    return 0


if __name__ == "__main__":
    main()
