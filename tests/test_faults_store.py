"""Fault suite: the store held by another process while the daemon collects.

A notebook or the duckdb CLI opened without read-only, or a long import, holds the store's
lock; the daemon's cycles of a stateful source (counter rates need the previous reading) must
neither stop nor lose a cycle: each is spooled with its state and stored once afterwards.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest

from tests.faults_support import (
    CounterExporter,
    hold_store,
    runs_and_samples,
    start_daemon,
    stop,
    wait_until,
)

INTERVAL = 2


def daemon_config(workspace, url: str) -> None:
    workspace.write(
        "config.toml",
        f"""
        [store]
        path = "data/seamwatch.duckdb"
        # the default; a cycle must not wait this long (it would skip the next ones)
        lock_timeout = "20s"

        [inventory]
        paths = ["inventory/*.toml"]

        [[sources]]
        name = "scrape"
        kind = "scrape"
        interval = "{INTERVAL}s"
        targets = ["{url}"]
        [sources.metrics]
        throughput = "jobs_total"
        """,
    )


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_daemon_cycles_while_another_process_holds_the_store_are_all_stored_once(workspace, mode):
    exporter = CounterExporter()
    daemon_config(workspace, exporter.url)
    log = workspace.root / "daemon.log"
    daemon = start_daemon(workspace.config, log)
    try:
        assert wait_until(lambda: exporter.count >= 3, 30, 0.1), log.read_text()
        holder = hold_store(workspace.store_path, mode, 4 * INTERVAL + 1)
        held_from = exporter.count
        assert holder.wait(30) == 0
        held_scrapes = exporter.count - held_from
        released = exporter.count
        assert wait_until(lambda: exporter.count >= released + 3, 30, 0.1)
    finally:
        stop(daemon)
        exporter.close()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert held_scrapes >= 4, text  # cycles went on while the store was held
    assert "spooled" in text, text
    assert not list((workspace.root / "data" / "spool").glob("*.parquet"))

    runs, samples = runs_and_samples(workspace.store_path)
    # one run per scrape, none lost: every cycle was recorded
    assert len(runs) == exporter.count, (runs, exporter.count)
    # the first cycle primes the counters; every later one (state carried through the
    # spool while the store was held) yields one rate per integration
    assert runs[0][1] == 0 and all(r[1] == 2 and r[2] == "ok" for r in runs[1:]), runs
    # every cycle's samples present once: one aligned stamp per cycle, consecutive
    stamps = Counter(ts for ts, *_ in samples)
    assert set(stamps.values()) == {2}
    ordered = sorted(stamps)
    assert len(ordered) == len(runs) - 1
    steps = {b - a for a, b in pairwise(ordered)}
    assert steps == {timedelta(seconds=INTERVAL)}, ordered
    # the rates are right: +10 and +20 per scrape over the time between scrapes (~2 s)
    crm = [v for _ts, i, _m, v in samples if i == "crm-orders-to-erp"]
    assert all(2 < v < 10 for v in crm), crm
