"""Run one cycle of one source: collect, store, remember its state, record the run.

A failing source never raises out of here: the failure is recorded and the next source runs.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from collectors.base import Batch, CollectContext, Failure, Source
from seamwatch.inventory import Inventory
from seamwatch.store import RunRecord, Store
from seamwatch.timeutil import align, utcnow

log = logging.getLogger(__name__)


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


def run_cycle(
    source: Source, store: Store, inventory: Inventory, now: datetime | None = None
) -> CycleResult:
    """Collect one batch from `source` at `now` (aligned to its interval) and store it."""
    started = utcnow()
    clock = time.perf_counter()
    cycle_time = align(now or started, source.interval)
    state = store.get_state(state_prefix(source))
    before = dict(state)
    ctx = CollectContext(now=cycle_time, inventory=inventory, state=state)
    try:
        batch = source.collect(ctx)
        error = None
    except Exception as exc:  # one bad source must not stop the others
        log.exception("source %s failed", source.name)
        batch, error = Batch(), f"{type(exc).__name__}: {exc}"
    return _finish(source, store, batch, error, started, clock, state, before)


def run_backfill(
    source: Source,
    store: Store,
    inventory: Inventory,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> Iterable[CycleResult]:
    """Pull history between start and end chunk by chunk, storing and recording each chunk."""
    state = store.get_state(state_prefix(source))
    ctx = CollectContext(now=now or utcnow(), inventory=inventory, state=state)
    before = dict(state)
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
            source, store, batch, error, started, clock, state, before, unique_keys=True
        )
        before = dict(state)
        yield result
        if error:
            return


def _finish(
    source: Source,
    store: Store,
    batch: Batch,
    error: str | None,
    started: datetime,
    clock: float,
    state: dict[str, str] | object,
    before: dict[str, str],
    *,
    unique_keys: bool = False,
) -> CycleResult:
    written, spooled = 0, False
    if batch.samples.num_rows:
        try:
            result = store.write_samples(
                batch.samples, source=source.name, dedupe=None if not unique_keys else False
            )
            written, spooled = result.written, result.spooled
        except Exception as exc:
            log.exception("storing the batch of %s failed", source.name)
            error = error or f"storing failed: {type(exc).__name__}: {exc}"
    current = dict(state)  # type: ignore[call-overload]
    if current != before:
        store.put_state(state_prefix(source), current)
    # failed: an error, or failures and nothing collected; partial: some of each; ok: no failure
    if error or (batch.failures and batch.samples.num_rows == 0):
        status = "failed"
    else:
        status = "partial" if batch.failures else "ok"
    if status != "ok":
        log.warning(
            "source %s: %s (%d failures)%s",
            source.name,
            status,
            len(batch.failures),
            f": {error}" if error else "",
        )
    finished = utcnow()
    store.record_run(
        RunRecord(
            run_id=str(uuid.uuid4()),
            source=source.name,
            kind=source.kind,
            started_at=started,
            finished_at=finished,
            samples=batch.samples.num_rows,
            status=status,
            error=error,
            failures=[f.as_dict() for f in batch.failures],
        )
    )
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
