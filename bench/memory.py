"""Peak resident memory of a large backfill + first rollup, and of `seamwatch detect`, with defaults.

Each step runs in a child process of its own; its peak RSS is the child's ru_maxrss (from
os.wait4), so Python, Arrow and DuckDB are all counted and steps do not share a high-water mark.

  backfill: the history written through the collection runner (`run_backfill`: chunks of the
            fleet, each stored, state kept, a run recorded), as a source that keeps history does
  rollup:   the first rollup of all of it (5-minute and hourly buckets)
  detect:   one `run_detection` over the last 28 days (hourly rollups), lifecycle persisted

The store uses the defaults ([store] memory_limit 2GB, threads min(2, cores)).
Run: .venv/bin/python bench/memory.py [--integrations N] [--days D] [--step 1m|15m|1h] [--keep DIR]
(10,000 integrations x 28 days at 15 minutes: 161 M samples, about 15 minutes here.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

END = datetime(2026, 11, 25, tzinfo=UTC)
STEPS = {"1m": timedelta(minutes=1), "5m": timedelta(minutes=5), "15m": timedelta(minutes=15),
         "1h": timedelta(hours=1)}  # fmt: skip
CHUNK_SAMPLES = 4_000_000  # samples per backfill chunk, as a source's range query would return


def fleet_source(integrations: int, step: timedelta, chunk: timedelta):  # type: ignore[no-untyped-def]
    """A source kind whose history is the synthetic fleet, served chunk by chunk."""
    from bench.fleet import fleet_table
    from collectors.base import Batch, CollectContext, Source
    from seamwatch.config import SourceSettings

    class FleetSource(Source):
        kind: ClassVar[str] = "bench-fleet"

        def collect(self, ctx: CollectContext) -> Batch:
            return Batch()

        def backfill(self, ctx: CollectContext, start: datetime, end: datetime) -> Iterator[Batch]:
            cursor, seed = start, 0
            while cursor < end:
                upto = min(cursor + chunk, end)
                seed += 1
                yield Batch(samples=fleet_table(integrations, cursor, upto, step, seed=seed))
                cursor = upto

    return FleetSource(SourceSettings(name="fleet", kind="bench-fleet", interval=step), None)  # type: ignore[arg-type]


def step_backfill(path: Path, integrations: int, days: int, step: timedelta) -> str:
    from collectors.runner import run_backfill
    from seamwatch.inventory import Inventory
    from seamwatch.store import Store

    series = integrations * 6
    chunk = max(step, step * (CHUNK_SAMPLES // series))
    store = Store(path, lock_timeout=120)
    store.migrate()
    samples = sum(
        r.written
        for r in run_backfill(
            fleet_source(integrations, step, chunk),
            store,
            Inventory(),
            END - timedelta(days=days),
            END,
            now=END,
        )
    )
    return f"{samples:,} samples written in chunks of {chunk}"


def step_rollup(path: Path) -> str:
    from seamwatch.store import Store

    buckets = Store(path, lock_timeout=120).rollup()
    return f"{buckets:,} 5-minute and hourly buckets"


def step_detect(path: Path) -> str:
    from detectors.engine import run_detection
    from seamwatch.config import Settings
    from seamwatch.inventory import Inventory
    from seamwatch.store import Store

    result, _ = run_detection(Store(path, lock_timeout=120), Inventory(), Settings(), now=END)
    return f"{result.series:,} series, {len(result.findings)} findings"


def child(args: argparse.Namespace) -> None:
    path = Path(args.path)
    if args.child == "backfill":
        note = step_backfill(path, args.integrations, args.days, STEPS[args.step])
    elif args.child == "rollup":
        note = step_rollup(path)
    else:
        note = step_detect(path)
    print(note)


def run_step(name: str, args: argparse.Namespace, path: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in GB, what the step printed) of one step in a child process."""
    cmd = [sys.executable, __file__, "--child", name, "--path", str(path),
           "--integrations", str(args.integrations), "--days", str(args.days), "--step", args.step]  # fmt: skip
    clock = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - clock
    if proc.returncode:
        sys.exit(f"step {name} failed (exit {proc.returncode}): {out}")
    return elapsed, usage.ru_maxrss / 1024 / 1024, out.strip().splitlines()[-1] if out else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--step", choices=sorted(STEPS), default="15m")
    parser.add_argument("--keep", type=Path, default=None, help="keep the store in DIR")
    parser.add_argument("--child", choices=["backfill", "rollup", "detect"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    tmp = tempfile.TemporaryDirectory() if args.keep is None else None
    root = Path(tmp.name) if tmp else args.keep
    root.mkdir(parents=True, exist_ok=True)
    path = root / "fleet.duckdb"
    print(
        f"peak RSS per step: {args.integrations:,} integrations x 6 metrics x {args.days} days "
        f"at {args.step}, default limits (memory_limit 2GB, threads min(2, cores))"
    )
    steps = ["backfill", "rollup", "detect"] if not path.exists() else ["detect"]
    for name in steps:
        seconds, rss, note = run_step(name, args, path)
        print(f"  {name:<9} peak RSS {rss:5.2f} GB  {seconds:7.1f} s  ({note})", flush=True)
    size = path.stat().st_size / 1e9
    print(f"  store file: {size:.2f} GB")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
