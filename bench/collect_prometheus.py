"""Benchmark: one prometheus collection cycle for 1,000 integrations x 6 metrics.

A real Prometheus (Debian's `prometheus`, `promtool`) holds a 30-minute backfill of the fleet.
In the same run it times:

  (a) the six raw fleet PromQL queries over HTTP, nothing else (the floor);
  (b) one full collection cycle: the same queries, parsing, mapping, store write, run record;
  (c) the same cycle with one query per integration and metric (6,000 queries), the way a
      per-integration config would do it.

Targets: (b) within 1.5x of (a); (c) at least 20x (b). At 10,000 integrations (--integrations 10000)
the per-integration variant alone sends 60,000 queries and takes minutes. Each figure is the median of --repeat runs.
Run: .venv/bin/python bench/collect_prometheus.py [--integrations N] [--repeat R]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors import source_class
from collectors.runner import run_cycle
from seamwatch.config import SourceSettings
from seamwatch.inventory import Inventory
from seamwatch.store import Store
from tests.servers_prometheus import FLEET_QUERIES, at, openmetrics, start_prometheus, stop

END = 1_795_522_200
SPAN = 30 * 60
STEP = 15


def build(name: str, url: str, **options: object):  # type: ignore[no-untyped-def]
    """A prometheus source from config keys, validated as config.toml would be."""
    cls = source_class("prometheus")
    settings = SourceSettings(name=name, kind="prometheus", interval="60s", timeout="30s")
    return cls(settings, cls.Options.model_validate({"url": url, **options}))


def per_integration_queries(ids: list[str]) -> dict[str, dict[str, str]]:
    """The fleet queries rewritten for one integration each: no `by`, a label filter instead."""
    out: dict[str, dict[str, str]] = {}
    for name in ids:
        sel = f'{{integration="{name}"}}'
        out[name] = {
            metric: query.replace("sum by (integration, le)", "sum by (le)")
            .replace("sum by (integration)", "sum")
            .replace("jobs_total[", f"jobs_total{sel}[")
            .replace("job_failures_total[", f"job_failures_total{sel}[")
            .replace("job_duration_seconds_bucket[", f"job_duration_seconds_bucket{sel}[")
            .replace("(dlq_messages)", f"(dlq_messages{sel})")
            for metric, query in FLEET_QUERIES.items()
        }
    return out


def timed(func, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median seconds of `repeat` calls, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        clock = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - clock)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for binary in ("prometheus", "promtool"):
        if not shutil.which(binary):
            sys.exit(f"{binary} is not installed (run `sudo make test-servers`)")
    ids = [f"int-{i:04d}" for i in range(args.integrations)]
    rates = {name: (1.0 + i % 50, 0.01 * (1 + i % 5)) for i, name in enumerate(ids)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        clock = time.perf_counter()
        data = openmetrics(rates, END - SPAN, END, STEP, orphan=False)
        server = start_prometheus(root / "prom", data)
        print(
            f"prometheus: {args.integrations} integrations x {len(FLEET_QUERIES)} metrics, "
            f"{SPAN // 60} min at {STEP}s ({data.count(chr(10)):,} lines) loaded and ready in "
            f"{time.perf_counter() - clock:.1f}s"
        )
        try:
            session = requests.Session()

            def raw() -> int:
                total = 0
                for query in FLEET_QUERIES.values():
                    response = session.get(
                        f"{server.url}/api/v1/query",
                        params={"query": query, "time": END},
                        timeout=30,
                    )
                    response.raise_for_status()
                    total += len(response.content)
                return total

            stores = iter(range(10_000))

            def cycle(source) -> object:  # type: ignore[no-untyped-def]
                store = Store(root / f"store-{next(stores)}.duckdb")
                store.migrate()
                clock = time.perf_counter()
                result = run_cycle(source, store, Inventory(), now=at(END))
                return result, time.perf_counter() - clock

            fleet = build("fleet", server.url, metrics=dict(FLEET_QUERIES))
            single = build("single", server.url, per_integration=per_integration_queries(ids))

            raw()  # warm Prometheus' caches and the connection once, for every variant alike
            a, size = timed(raw, args.repeat)
            b_runs = [cycle(fleet) for _ in range(args.repeat)]
            b = statistics.median(t for _, t in b_runs)
            b_result = b_runs[-1][0]
            c_runs = [cycle(single) for _ in range(max(1, args.repeat // 2))]
            c = statistics.median(t for _, t in c_runs)
            c_result = c_runs[-1][0]
        finally:
            stop(server)
    expected = args.integrations * len(FLEET_QUERIES)
    print(
        f"(a) raw fleet PromQL over HTTP:     {a:8.3f} s  ({len(FLEET_QUERIES)} queries, {size:,} bytes)"
    )
    print(
        f"(b) full cycle, fleet queries:      {b:8.3f} s  ({b_result.samples:,} samples, status {b_result.status})"
    )
    print(
        f"(c) full cycle, per-integration:    {c:8.3f} s  ({c_result.samples:,} samples, {expected:,} queries, status {c_result.status})"
    )
    print(f"(b)/(a) = {b / a:.2f}x   (target: <= 1.5x)")
    print(f"(c)/(b) = {c / b:.1f}x   (target: >= 20x)")
    if b_result.samples != expected or c_result.samples != expected:
        sys.exit(f"expected {expected} samples from each cycle")


if __name__ == "__main__":
    main()
