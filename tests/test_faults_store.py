"""Fault suite: the store held by another process while the daemon collects.

A notebook or the duckdb CLI opened without read-only, or a long import, holds the store's
lock; the daemon's cycles of a stateful source (counter rates need the previous reading) must
neither stop nor lose a cycle: each is spooled with its state and stored once afterwards.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from tests.faults_support import (
    CounterExporter,
    hold_store,
    release,
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

        [scheduler]
        metrics_port = 0  # no fixed port: other test runs may hold the default one

        [[sources]]
        name = "scrape"
        kind = "scrape"
        interval = "{INTERVAL}s"
        targets = ["{url}"]
        [sources.metrics]
        throughput = "jobs_total"
        """,
    )


def test_daemon_cycles_while_another_process_holds_the_store_are_all_stored_once(workspace):
    exporter = CounterExporter()
    daemon_config(workspace, exporter.url)
    log = workspace.root / "daemon.log"
    daemon = start_daemon(workspace.config, log)
    held: dict[str, int] = {}
    try:
        assert wait_until(lambda: exporter.count >= 3, 30, 0.1), log.read_text()
        for mode in ("rw", "ro"):  # a notebook opened read-write, then one read-only
            holder = hold_store(workspace.store_path, mode, 3 * INTERVAL + 1)
            held_from = exporter.count
            assert holder.wait(30) == 0
            held[mode] = exporter.count - held_from
            released = exporter.count
            assert wait_until(lambda: exporter.count >= released + 2, 30, 0.1)  # noqa: B023
    finally:
        stop(daemon)
        exporter.close()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert min(held.values()) >= 2, (held, text)  # cycles went on while the store was held
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
    # real rates from the carried state: +10 and +20 per scrape over the same elapsed time,
    # so each cycle's second integration runs at exactly twice the first (whatever the load)
    by_stamp: dict = {}
    for ts, integration, _m, value in samples:
        by_stamp.setdefault(ts, {})[integration] = value
    for ts, pair in by_stamp.items():
        assert pair["crm-orders-to-erp"] > 0, (ts, pair)
        assert pair["payments-webhook"] == pytest.approx(2 * pair["crm-orders-to-erp"]), pair


def test_collect_once_and_import_spool_when_the_store_is_held_and_say_so(workspace, cli):
    cli("collect", "--once")  # a store with the schema, then held by a notebook
    csv = workspace.write(
        "history.csv",
        "ts,integration,metric,value\n2026-11-01T00:00:00Z,crm-orders-to-erp,throughput,5\n"
        "2026-11-01T00:01:00Z,crm-orders-to-erp,throughput,6\n",
    )
    before = runs_and_samples(workspace.store_path)
    from seamwatch.store import Store

    anchor_before = Store(workspace.store_path).get_state("source.demo")
    assert anchor_before
    holder = hold_store(workspace.store_path, "rw", None)
    try:
        collected = cli("collect", "--once")
        imported = cli("import", str(csv))
    finally:
        release(holder)
    assert collected.code == 0, collected.out + collected.err
    assert "store busy, spooling to" in collected.out
    assert f"(PID {holder.pid})" in collected.out  # the holder, named whole
    assert "(spooled: store busy)" in collected.out
    assert imported.code == 0, imported.out + imported.err
    assert "spooled to" in imported.out and "store busy" in imported.out
    spool = workspace.root / "data" / "spool"
    assert len(list(spool.glob("*.parquet"))) == 2
    assert cli("collect", "--once").code == 0  # the next write replays both
    assert not list(spool.glob("*.parquet"))
    runs, samples = runs_and_samples(workspace.store_path)
    assert len(runs) == len(before[0]) + 2  # every cycle recorded once
    first = datetime(2026, 11, 1, tzinfo=UTC)
    imported = [s for s in samples if s[0] in (first, first + timedelta(minutes=1))]
    assert [v for *_k, v in imported] == [5.0, 6.0]
    stamps = Counter(ts for ts, *_ in samples if ts not in (first, first + timedelta(minutes=1)))
    assert set(stamps.values()) == {len(before[1])}  # each minute's cycle whole, once
    # the demo's anchor (its state) was not replaced by the blind cycle's
    from seamwatch.store import Store

    anchor = Store(workspace.store_path).get_state("source.demo")
    assert anchor == anchor_before


def test_lock_message_names_the_holder_whole(workspace):
    from seamwatch.errors import StoreLocked
    from seamwatch.store import Store

    store = Store(workspace.store_path, lock_timeout=0.3)
    store.migrate()
    holder = hold_store(workspace.store_path, "rw", 3)
    try:
        with pytest.raises(StoreLocked) as caught:
            store.migrate()
    finally:
        holder.wait(30)
    message = str(caught.value)
    assert message.endswith(f"(PID {holder.pid}))"), message
    assert "stayed locked by another process for 0.3s" in message
