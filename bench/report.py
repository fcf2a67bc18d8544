"""Weekly review cost on a synthetic fleet, against a bare DuckDB scan of the same two weeks.

    .venv/bin/python bench/report.py [INTEGRATIONS] [STEP_SECONDS] [STORE] [--bare]

With STORE (a DuckDB file path) the fleet is built there once and kept; a later run with the
same path reuses it (building 10,000 integrations takes minutes), so before/after figures come
from the same store.

Prints the time to build the report (all its queries; the median of three runs, each after its
own baseline), to render both formats, and the ratio of the build to one plain GROUP BY over
the same raw samples (the floor a report that scanned its two weeks would pay), in wall time
and in CPU time of this process (steadier on a shared machine, whose load moves wall times by
half between runs; DuckDB runs a query on both cores, the review's Python on one). The fleet is
written in time order, as collection writes, and inventoried as a real one is: seven owner
teams (so the review has team sections), latency and error-rate SLOs on every integration, and
two of five patterns batch or file jobs whose runs come from their throughput; `--bare` leaves
the inventory out (no SLOs, teams, jobs or checklist to report). It is rolled up first, as the
scheduler's jobs keep a store; a kept store is migrated and rolled up before timing. The review
reads 5-minute or hourly buckets where they answer the question (counts, means, peaks,
throughput-weighted error rate, coverage, hourly charts, SLO compliance counted at rollup) in
one pass and raw samples only for job runs (stretches of throughput) and for SLO compliance in
buckets that straddle an SLO changed since they were rolled up. Target: within 3x of the scan.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fleet import fleet_table, insert_inventory, integration_ids
from reports import Week, build_report, render_html, render_markdown
from seamwatch.store import Store

METRICS = ("throughput", "error_rate", "latency_p95_ms", "dlq_depth")
RUNS = 3


def main() -> None:
    bare = "--bare" in sys.argv  # no inventory: no SLOs, teams, jobs or scorecard to speak of
    args = [a for a in sys.argv[1:] if a != "--bare"]
    integrations = int(args[0]) if args else 300
    step = timedelta(seconds=int(args[1]) if len(args) > 1 else 60)
    week = Week.parse("2026-W47", ZoneInfo("UTC"))
    start, end = week.previous().start, week.end
    kept = Path(args[2]) if len(args) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        path = kept or Path(tmp) / "bench.duckdb"
        store = Store(path, lock_timeout=60)
        if kept is not None and kept.exists():
            with store.read() as con:
                (rows,) = con.execute("SELECT count(*) FROM samples").fetchone() or (0,)
            print(f"fleet: reusing {kept} ({rows:,} samples)")
            store.migrate()
            store.rollup()
        else:
            _build(store, integrations, start, end, step, bare=bare)

        # alternated RUNS times: the machine's load moves either by half between runs
        # wall and CPU time (all threads of this process): CPU time moves less with the load
        # of a shared machine, so its ratio is the steadier figure
        baselines, builds, baseline_cpu, build_cpu = [], [], [], []
        for _ in range(RUNS):
            clock, cpu = time.perf_counter(), time.process_time()
            with store.read() as con:
                con.execute(
                    "SELECT integration_id, metric, ts >= ? AS this, avg(value), max(value)"
                    " FROM samples WHERE ts >= ? AND ts < ? GROUP BY ALL",
                    [week.start, start, end],
                ).fetchall()
            baselines.append(time.perf_counter() - clock)
            baseline_cpu.append(time.process_time() - cpu)
            clock, cpu = time.perf_counter(), time.process_time()
            report = build_report(store, week, now=end + timedelta(hours=2), top_n=5)
            builds.append(time.perf_counter() - clock)
            build_cpu.append(time.process_time() - cpu)
        baseline, build = statistics.median(baselines), statistics.median(builds)
        cpu_ratio = statistics.median(b / s for b, s in zip(build_cpu, baseline_cpu, strict=True))

        clock = time.perf_counter()
        md, html = render_markdown(report), render_html(report)
        render = time.perf_counter() - clock

    each = ", ".join(f"{b:.2f}/{s:.2f}" for b, s in zip(builds, baselines, strict=True))
    print(f"baseline GROUP BY scan:     {baseline:6.2f}s  (median of {RUNS})")
    print(
        f"build_report (all queries): {build:6.2f}s  (median of {RUNS}; "
        f"{build / baseline:.1f}x the baseline scan; target <= 3x)"
    )
    print(f"  each run, build/scan: {each}")
    cpus = ", ".join(f"{b:.2f}/{s:.2f}" for b, s in zip(build_cpu, baseline_cpu, strict=True))
    print(f"  CPU time, build/scan: {cpus} (median ratio {cpu_ratio:.1f}x)")
    print(
        f"render Markdown + HTML:     {render:6.2f}s  ({len(md) / 1e3:.0f} kB + {len(html) / 1e3:.0f} kB)"
    )


def _build(
    store: Store,
    integrations: int,
    start: datetime,
    end: datetime,
    step: timedelta,
    *,
    bare: bool = False,
) -> None:
    """Write the fleet's two weeks and roll them up, as the scheduler's jobs keep a store."""
    store.migrate()
    if not bare:
        insert_inventory(store, integration_ids(integrations))
    # in time order, as collection writes a store (cycle after cycle): reads bounded in time
    # skip the rest, as they do on a real store, which they cannot on rows grouped by series
    table = fleet_table(integrations, start, end, step, metrics=METRICS).sort_by("ts")
    clock = time.perf_counter()
    store.write_samples(table, dedupe=False)
    written = time.perf_counter() - clock
    clock = time.perf_counter()
    store.rollup()
    print(f"fleet: {integrations} integrations x {len(METRICS)} metrics x 2 weeks at "
          f"{int(step.total_seconds())}s = {table.num_rows:,} samples "
          f"({'no inventory' if bare else 'inventoried'}; written in {written:.1f}s, "
          f"rolled up in {time.perf_counter() - clock:.1f}s)")  # fmt: skip


if __name__ == "__main__":
    main()
