"""A collection cycle is one unit: a stateful source's samples, run record and state are stored
together, or spooled together while another process holds the store, and stored exactly once
when it lets go. Each cycle starts from the state of the one before, spooled or not.

The source is a scrape of a real /metrics endpoint whose counters rise by 10 and 20 at every
scrape; its clock is pinned to the cycle times, so every rate is exactly 10/60 and 20/60 per
second when (and only when) a cycle read the previous cycle's counters and fetch time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from collectors.runner import run_cycle
from seamwatch.store import Store
from tests.collect_helpers import make_source
from tests.faults_support import CounterExporter, hold_store, release

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STEP = timedelta(seconds=60)
A, B = "crm-orders-to-erp", "payments-webhook"


@pytest.fixture
def exporter():
    server = CounterExporter()
    yield server
    server.close()


def scrape(url: str):  # type: ignore[no-untyped-def]
    """A scrape source whose fetch clock reads the cycle time the test sets in `clock.at`."""
    source = make_source(
        "scrape", interval="60s", targets=[url], metrics={"throughput": "jobs_total"}
    )
    source.clock = lambda: source.at.timestamp()  # type: ignore[attr-defined]
    return source


def cycle(source, store: Store, inventory, k: int):  # type: ignore[no-untyped-def]
    source.at = T0 + k * STEP
    return run_cycle(source, store, inventory, T0 + k * STEP)


def stored(store: Store) -> tuple[list[tuple], list[tuple], dict[str, str]]:
    """(runs, samples, the scrape's state) as stored."""
    runs = store.query("SELECT run_id, status, samples FROM runs ORDER BY started_at")
    samples = store.query("SELECT ts, integration_id, value FROM samples ORDER BY ts, 2")
    return (
        list(runs.itertuples(index=False)),
        list(samples.itertuples(index=False)),
        store.get_state("source.scrape"),
    )


def counters(state: dict[str, str], url: str) -> tuple[float, dict[str, float]]:
    doc = json.loads(state[f"scrape:{url}"])
    return doc["t"], {k.split("integration=")[1].rstrip("}"): v for k, v in doc["v"].items()}


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_cycles_of_a_stateful_source_while_another_process_holds_the_store_are_stored_once(
    mode, exporter, workspace, inventory
):
    store = Store(workspace.store_path, lock_timeout=0.5)
    store.migrate()
    source = scrape(exporter.url)
    primed = cycle(source, store, inventory, 0)  # the first scrape only primes the counters
    assert (primed.status, primed.samples, primed.spooled) == ("ok", 0, False)
    assert counters(store.get_state("source.scrape"), exporter.url) == (
        T0.timestamp(),
        {A: 10.0, B: 20.0},
    )

    holder = hold_store(workspace.store_path, mode, None)  # a notebook, a long import
    try:
        held = [cycle(source, store, inventory, k) for k in (1, 2, 3)]
        spooled = len(store.spool.pending())
    finally:
        release(holder)
    # none raised, none skipped; each started from the previous cycle's counters and fetch
    # time (the store could not be written, or even read with rw): the rates are exact
    assert [(r.status, r.spooled, r.written) for r in held] == [("ok", True, 0)] * 3
    assert spooled == 3
    for result in held:
        assert result.samples == 2 and not result.failures

    after = cycle(source, store, inventory, 4)  # the first write replays the spool first
    assert (after.status, after.spooled, after.written) == ("ok", False, 2)
    assert not store.spool.pending()

    runs, samples, state = stored(store)
    assert len(runs) == len({r.run_id for r in runs}) == 5  # every cycle recorded once
    assert [r.samples for r in runs] == [0, 2, 2, 2, 2]
    stamps = [T0 + k * STEP for k in (1, 2, 3, 4)]
    assert [(s.ts, s.integration_id) for s in samples] == [(t, i) for t in stamps for i in (A, B)]
    assert [s.value for s in samples] == pytest.approx([10 / 60, 20 / 60] * 4)
    # the state is the last cycle's, its counters the fifth scrape's: none lost, none rolled back
    assert exporter.count == 5
    assert counters(state, exporter.url) == ((T0 + 4 * STEP).timestamp(), {A: 50.0, B: 100.0})

    again = Store(workspace.store_path)  # a later write replays nothing twice
    again.rollup()
    assert stored(again) == (runs, samples, state)


def test_a_process_restarted_while_the_store_is_held_continues_from_the_spooled_state(
    exporter, workspace, inventory
):
    store = Store(workspace.store_path, lock_timeout=0.5)
    store.migrate()
    cycle(scrape(exporter.url), store, inventory, 0)
    holder = hold_store(workspace.store_path, "rw", None)
    try:
        cycle(scrape(exporter.url), store, inventory, 1)
        # the daemon restarts: a new store object and source, nothing cached, store unreadable
        restarted = Store(workspace.store_path, lock_timeout=0.5)
        result = cycle(scrape(exporter.url), restarted, inventory, 2)
    finally:
        release(holder)
    # it read cycle 1's counters from the spool, not the stored (older) ones
    assert result.samples == 2 and result.spooled
    cycle(scrape(exporter.url), restarted, inventory, 3)
    runs, samples, state = stored(restarted)
    assert len(runs) == 4
    assert [s.value for s in samples] == pytest.approx([10 / 60, 20 / 60] * 3)
    assert counters(state, exporter.url) == ((T0 + 3 * STEP).timestamp(), {A: 40.0, B: 80.0})


def test_a_source_that_raises_is_a_failed_run_and_its_state_does_not_move(
    exporter, workspace, inventory
):
    store = Store(workspace.store_path, lock_timeout=0.5)
    store.migrate()
    source = scrape(exporter.url)
    cycle(source, store, inventory, 0)
    state = store.get_state("source.scrape")

    def broken(ctx):  # type: ignore[no-untyped-def]
        ctx.state["scrape:x"] = "{}"  # the context's state is read only: a source returns it
        raise AssertionError("not reached")

    source.collect = broken  # type: ignore[method-assign]
    result = cycle(source, store, inventory, 1)
    assert result.status == "failed" and result.error is not None
    assert result.error.startswith("TypeError: ")
    assert store.get_state("source.scrape") == state
    assert store.scalar("SELECT count(*) FROM runs WHERE status = 'failed'") == 1
