"""Run one cycle of one source: collect, then store samples, run record and state as one unit.

Nothing raises out of here: a failing source, an unreadable state or a locked store is
recorded (or spooled with the cycle) and the next source runs.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

import pyarrow as pa
import pyarrow.compute as pc

from collectors.base import Batch, CollectContext, Failure, FailureKind, Source
from seamwatch.inventory import Inventory
from seamwatch.secrets import redact
from seamwatch.store import RunRecord, StateChange, Store
from seamwatch.timeutil import align, utcnow

log = logging.getLogger(__name__)

# The share of its interval a cycle may wait for the store's lock (for its state, then for its
# write): short enough that a cycle ends before the next is due, so none is skipped.
LOCK_SHARE = 0.2
MIN_LOCK_WAIT = 0.5


@dataclass(frozen=True)
class CycleResult:
    """What one cycle did, for the CLI, the scheduler's own metrics and tests."""

    source: str
    status: str
    samples: int
    written: int
    spooled: bool
    failures: list[Failure]
    error: str | None
    duration_s: float


def state_prefix(source: Source) -> str:
    """Where a source's persistent state lives in the meta table."""
    return f"source.{source.name}"


def lock_wait(source: Source, store: Store) -> float:
    """How long one store operation of a cycle may wait for the lock."""
    share = max(MIN_LOCK_WAIT, source.interval.total_seconds() * LOCK_SHARE)
    return min(store.lock_timeout, share)


def run_cycle(
    source: Source,
    store: Store,
    inventory: Inventory,
    now: datetime | None = None,
    *,
    configured: Collection[str] = (),
) -> CycleResult:
    """Collect one batch from `source` at `now` (aligned to its interval) and store it.

    `configured` names every configured source: a row whose metric the inventory gives to
    another of them is not stored (see `owned_elsewhere`).
    """
    started = utcnow()
    clock = time.perf_counter()
    try:
        cycle_time = align(now or started, source.interval)
        wait = lock_wait(source, store)
        before = store.cycle_state(state_prefix(source), timeout=wait)
        ctx = CollectContext(now=cycle_time, inventory=inventory, state=MappingProxyType(before))
        try:
            batch = source.collect(ctx)
            error = None
        except Exception as exc:  # one bad source must not stop the others
            log.exception("source %s failed", source.name)
            batch, error = Batch(), f"{type(exc).__name__}: {exc}"
        batch = owned_elsewhere(source, inventory, batch, configured)
        return _finish(source, store, batch, error, started, clock, before, timeout=wait)
    except Exception as exc:  # the runner itself never raises: the daemon goes on
        log.exception("cycle of %s could not be completed", source.name)
        return _result(source, "failed", Batch(), 0, False, f"{type(exc).__name__}: {exc}", clock)


def run_backfill(
    source: Source,
    store: Store,
    inventory: Inventory,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    *,
    configured: Collection[str] = (),
) -> Iterable[CycleResult]:
    """Pull history between start and end chunk by chunk, storing and recording each chunk.

    A failure is the chunk's error, never a raise; only a kind that keeps no history raises
    NotImplementedError, at the first chunk, before anything is stored.
    """
    clock = time.perf_counter()
    try:
        before = store.cycle_state(state_prefix(source))
    except Exception as exc:
        log.exception("backfill of %s could not start", source.name)
        yield _result(source, "failed", Batch(), 0, False, f"{type(exc).__name__}: {exc}", clock)
        return
    ctx = CollectContext(now=now or utcnow(), inventory=inventory, state=MappingProxyType(before))
    iterator = source.backfill(ctx, start, end)
    while True:
        started, clock = utcnow(), time.perf_counter()
        try:
            batch = next(iterator)
            error = None
        except StopIteration:
            return
        except NotImplementedError:
            raise
        except Exception as exc:
            log.exception("backfill of %s failed", source.name)
            batch, error = Batch(), f"{type(exc).__name__}: {exc}"
        result = _finish(
            source,
            store,
            owned_elsewhere(source, inventory, batch, configured),
            error,
            started,
            clock,
            before,
            unique_keys=True,
            backfill=True,
        )
        if batch.state is not None:
            before = dict(batch.state)
        yield result
        if error:
            return


def owned_elsewhere(
    source: Source, inventory: Inventory, batch: Batch, configured: Collection[str]
) -> Batch:
    """The batch without the rows whose metric the inventory's `collect` map gives to another
    configured source, each such (integration, metric) recorded as a failure: one owner per
    series, never the first writer by chance. (An owner no source is configured as is a
    `check` error; its rows are kept.)"""
    samples = batch.samples
    if samples.num_rows == 0:
        return batch
    foreign: dict[str, str] = {}
    for integration_id in pc.unique(samples.column("integration_id")).to_pylist():
        integration = inventory.get(integration_id) if integration_id else None
        if integration is None:
            continue
        for metric, owner in integration.collect.items():
            if owner != source.name and owner in configured:
                foreign[f"{integration_id}\x1f{metric.value}"] = owner
    if not foreign:
        return batch
    keys = pc.binary_join_element_wise(
        samples.column("integration_id"), samples.column("metric"), "\x1f"
    )
    drop = pc.fill_null(pc.is_in(keys, value_set=pa.array(list(foreign), pa.string())), False)
    if not pc.any(drop).as_py():
        return batch
    failures = list(batch.failures)
    for key in sorted(set(pc.filter(keys, drop).to_pylist())):
        integration_id, metric = key.split("\x1f")
        failures.append(
            Failure(
                f"not stored: the inventory's collect map gives {metric} to source "
                f"{foreign[key]!r}",
                integration_id,
                metric,
                FailureKind.OWNER,
            )
        )
    return replace(batch, samples=samples.filter(pc.invert(drop)), failures=failures)


def _finish(
    source: Source,
    store: Store,
    batch: Batch,
    error: str | None,
    started: datetime,
    clock: float,
    before: dict[str, str],
    *,
    unique_keys: bool = False,
    backfill: bool = False,
    timeout: float | None = None,
) -> CycleResult:
    """Store the batch, its run record and its state change (from `before` to the state the
    batch carries) as one unit; a failure to store is the cycle's error, never a raise."""
    prefix = state_prefix(source)
    after = before if batch.state is None else dict(batch.state)
    change = StateChange.between(prefix, before, after, blind=not store.state_known(prefix))
    rows = batch.samples.num_rows
    # failed: an error, or nothing collected; partial: some failures; ok: no failure. A cycle
    # that only primes its state (a counter's first reading) collects nothing and is ok.
    if error:
        status = "failed"
    elif rows == 0 and (batch.failures or not (change or backfill)):
        status = "failed"
        if not batch.failures:
            error = "collected no samples (no series matched)"
    else:
        status = "partial" if batch.failures else "ok"
    error = redact(error) if error else None
    failures = [replace(f, error=redact(f.error)) for f in batch.failures]
    if status != "ok":
        log.warning(
            "source %s: %s (%d failures)%s",
            source.name,
            status,
            len(failures),
            f": {error}" if error else "",
        )
    run = RunRecord(
        run_id=str(uuid.uuid4()),
        source=source.name,
        kind=source.kind,
        started_at=started,
        finished_at=utcnow(),
        samples=rows,
        status=status,
        error=error,
        failures=[f.as_dict() for f in failures],
    )
    written, spooled = 0, False
    try:
        result = store.write_cycle(
            batch.samples,
            run,
            change,
            timeout=timeout,
            dedupe=None if not unique_keys else False,
        )
        written, spooled = result.written, result.spooled
    except Exception as exc:
        log.exception("storing the cycle of %s failed", source.name)
        status, error = "failed", redact(f"storing failed: {type(exc).__name__}: {exc}")
    return _result(source, status, Batch(batch.samples, failures), written, spooled, error, clock)


def _result(
    source: Source,
    status: str,
    batch: Batch,
    written: int,
    spooled: bool,
    error: str | None,
    clock: float,
) -> CycleResult:
    return CycleResult(
        source=source.name,
        status=status,
        samples=batch.samples.num_rows,
        written=written,
        spooled=spooled,
        failures=list(batch.failures),
        error=error,
        duration_s=time.perf_counter() - clock,
    )


__all__ = ["CycleResult", "lock_wait", "owned_elsewhere", "run_backfill", "run_cycle"]
