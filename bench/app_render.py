"""Benchmark: server time of the dashboard's Overview and Integration pages on a large fleet.

1,000 integrations x 6 metrics x 28 days at 1-minute resolution (242 M samples), written day by
day in time order as a collector would, rolled up after each day. Each page is rendered with
Streamlit's AppTest (the script run on the server, queries included), cold (caches cleared)
and warm, against a baseline in the same run: a page that only prints a title.

Run: .venv/bin/python bench/app_render.py [--integrations N] [--days D] [--step MIN] [--store PATH]
(--store keeps the generated fleet for the next run; building it takes minutes.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.fleet import fleet_table, insert_inventory, integration_ids
from seamwatch.store import Store
from seamwatch.timeutil import align, utcnow

ENTRY = Path(__file__).resolve().parents[1] / "app" / "Home.py"


def build(store: Store, integrations: int, days: int, step: timedelta) -> None:
    """Fill the store: inventory rows, samples day by day, rollups, some open findings."""
    end = align(utcnow(), timedelta(minutes=1))
    start = end - timedelta(days=days)
    store.migrate()
    ids = integration_ids(integrations)
    insert_inventory(store, ids)
    clock = time.perf_counter()
    rows = 0
    day = start
    chunk = max(step, min(timedelta(days=1), step * (4_000_000 // (integrations * 6))))
    while day < end:
        batch = fleet_table(integrations, day, min(day + chunk, end), step, seed=rows % 97)
        store.write_samples(batch)
        rows += batch.num_rows
        day += chunk
        if (day - start) % timedelta(days=1) and day < end:
            continue
        store.rollup()
        print(f"  {day:%Y-%m-%d}: {rows:,} samples, {time.perf_counter() - clock:.0f}s", flush=True)
    with store.write() as con:
        con.execute(
            """
            INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,
                severity, summary, evidence, status, first_seen, last_seen, resolved_at,
                clear_count)
            SELECT id || ':trend', id || '/latency_p95_ms/trend', id, 'latency_p95_ms', 'trend',
                   CASE WHEN i % 3 = 0 THEN 'critical' ELSE 'warning' END,
                   'p95 latency up 23% week over week, 412 ms → 507 ms', NULL, 'open',
                   now() - INTERVAL 2 DAY, now(), NULL, 0
            FROM (SELECT unnest(?) AS id, generate_subscripts(?, 1) AS i) WHERE i % 20 = 0
            """,
            [ids, ids],
        )
        con.execute("CHECKPOINT")


def timed_rerun(at: AppTest, cold: bool, page: str | None = None) -> float:
    """Seconds of one server-side run of the script (AppTest's first run, which sets up the
    session, is not counted: a browser session is set up once too)."""
    at.run()
    if cold:
        st.cache_data.clear()
    clock = time.perf_counter()
    (at.switch_page(page) if page else at).run()
    elapsed = time.perf_counter() - clock
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def render(page: str | None, cold: bool, **params: str) -> float:
    """Seconds of one run of a dashboard page (the entry script plus the page)."""
    at = AppTest.from_file(str(ENTRY), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return timed_rerun(at, cold, page)


def baseline(cold: bool) -> float:
    """Seconds of a run of a page that only prints a title: Streamlit's own cost per run."""
    at = AppTest.from_string("import streamlit as st\nst.title('baseline')", default_timeout=60)
    return timed_rerun(at, cold)


def measure(fn: Callable[[bool], float], repeat: int, *, cold: bool) -> float:
    """Median seconds over `repeat` runs (caches cleared before each timed run when cold)."""
    return statistics.median(fn(cold) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--step", type=int, default=1, help="minutes between samples")
    parser.add_argument("--store", type=Path, default=None, help="keep/reuse the fleet here")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=None, help="time only the pages whose name starts so")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory() if args.store is None else None
    root = Path(tmp.name) if tmp else args.store
    root.mkdir(parents=True, exist_ok=True)
    store = Store(root / "seamwatch.duckdb")
    if not store.exists():
        print(
            f"building {args.integrations} integrations x 6 metrics x {args.days} days "
            f"({args.step} min)"
        )
        build(store, args.integrations, args.days, timedelta(minutes=args.step))
    store.migrate()  # a kept fleet from older code gets the views this dashboard reads
    samples = store.sample_count()
    config = root / "config.toml"
    config.write_text(
        f'[store]\npath = "{store.path.name}"\n[inventory]\npaths = []\n[app]\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    os.environ["SEAMWATCH_CONFIG"] = str(config)
    print(f"store: {store.path} ({samples:,} raw samples)")

    # An integration that exists in this fleet, whatever its size (the middle one of the store).
    pick = store.scalar(
        "SELECT id FROM integrations ORDER BY id LIMIT 1 OFFSET (SELECT count(*) // 2 FROM integrations)"
    )
    if pick is None:
        sys.exit(f"{store.path}: no integrations in the store")
    print(f"integration page of: {pick}")
    base = measure(baseline, args.repeat, cold=False)
    print(f"baseline (a page with only a title): {base * 1000:.0f} ms")
    cases = [
        ("Overview", None, {}),
        ("Integration 6h (raw)", "views/integration.py",
         {"integration": pick, "range": "6h"}),
        ("Integration 3d (5 min)", "views/integration.py",
         {"integration": pick, "range": "3d"}),
        ("Integration 7d (1 h)", "views/integration.py",
         {"integration": pick, "range": "7d"}),
        ("Integration 28d (1 h)", "views/integration.py",
         {"integration": pick, "range": "28d"}),
    ]  # fmt: skip
    cases = [case for case in cases if args.only is None or case[0].startswith(args.only)]
    render(None, False)  # imports, first connection
    print(f"{'page':<26}{'cold ms':>9}{'warm ms':>9}{'cold/baseline':>15}")
    for name, page, params in cases:
        cold = measure(lambda c, p=page, q=params: render(p, c, **q), args.repeat, cold=True)
        warm = measure(lambda c, p=page, q=params: render(p, c, **q), args.repeat, cold=False)
        print(f"{name:<26}{cold * 1000:>9.0f}{warm * 1000:>9.0f}{cold / base:>14.1f}x")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
