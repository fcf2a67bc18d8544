"""The scheduler wiring of `seamwatch run`: every stage's jobs and services (collection per
source, detection, notify, the weekly review, heartbeats), plus housekeeping and contracts.

Jobs are coalesced, one instance at a time, with a misfire grace; a failing job is logged and
runs again at its next time.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_SHUTDOWN,
    JobExecutionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from cli.stages import load_stages
from seamwatch.config import Settings
from seamwatch.errors import StoreError, StoreLocked
from seamwatch.inventory import Inventory, load_inventory
from seamwatch.selfmetrics import SelfMetrics
from seamwatch.stage import Job, Runtime
from seamwatch.store import Store
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)


class InventoryWatch:
    """The inventory, reloaded (and mirrored into the store) when its files change."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self._signature: tuple[tuple[str, float], ...] | None = None
        self._inventory = Inventory()
        self._lock = threading.Lock()

    def _current_signature(self) -> tuple[tuple[str, float], ...]:
        import glob

        files = []
        inv = self.settings.inventory
        for pattern in [*inv.paths, *(b for b in inv.backstage if "://" not in b)]:
            full = pattern if Path(pattern).is_absolute() else str(self.settings.base_dir / pattern)
            for name in sorted(glob.glob(full, recursive=True)):
                try:
                    files.append((name, Path(name).stat().st_mtime))
                except OSError:
                    continue
        return tuple(files)

    def get(self) -> Inventory:
        """The current inventory, reloading it first if a file was added, changed or removed."""
        with self._lock:
            signature = self._current_signature()
            if signature != self._signature:
                self._inventory = load_inventory(
                    self.settings.inventory.paths,
                    self.settings.base_dir,
                    backstage=self.settings.inventory.backstage,
                )
                for error in self._inventory.errors:
                    log.warning("inventory: %s", error)
                log.info("inventory loaded: %d integrations", len(self._inventory))
                try:  # a busy store delays the mirror (retried next time), never a cycle
                    self.store.sync_inventory(self._inventory, utcnow())
                except StoreError as exc:
                    log.warning("inventory not mirrored into the store yet: %s", exc)
                    return self._inventory
                self._signature = signature
            return self._inventory


class AlignedInterval(BaseTrigger):
    """Every `interval` on the epoch grid (a tenth of an interval after each boundary), the
    first run whenever the job says: each cycle then lands on its own aligned timestamp, so a
    late start never stamps two cycles alike or skips one."""

    OFFSET_SHARE = 0.1

    def __init__(self, interval: timedelta) -> None:
        self.step = max(1.0, interval.total_seconds())

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        base = (previous_fire_time or now).timestamp()
        offset = self.step * self.OFFSET_SHARE
        nxt = (math.floor((base - offset) / self.step) + 1) * self.step + offset
        if previous_fire_time is not None and nxt - base < self.step / 2:
            nxt += self.step  # after an unaligned first run, not straight away
        return datetime.fromtimestamp(nxt, (previous_fire_time or now).tzinfo)

    def __str__(self) -> str:
        return f"aligned interval[{self.step:g}s]"


def housekeeping_jobs(settings: Settings, store: Store, inventory: InventoryWatch) -> list[Job]:
    """Rollups, retention and inventory reload."""
    sched = settings.scheduler
    return [
        Job("rollup", store.rollup, sched.rollup_interval, run_now=False),
        Job("retention", lambda: store.apply_retention(utcnow()), sched.retention_interval),
        Job("inventory", inventory.get, timedelta(minutes=1), run_now=False),
    ]


FLEET_METRICS_EVERY = timedelta(seconds=30)
"""How often /metrics' per-integration health and latest values are read from the store."""


def fleet_metrics_jobs(store: Store, metrics: SelfMetrics) -> list[Job]:
    """Seamwatch's view of the fleet on /metrics, read at start and then every 30 s."""
    return [Job("fleet-metrics", lambda: metrics.fleet.refresh(store), FLEET_METRICS_EVERY)]


def check_contracts(
    settings: Settings, store: Store, inventory: Inventory, now: datetime | None = None
) -> tuple[list[Any], Any]:
    """One contracts round (issue 16): fetch and store every spec (collection), then open and
    resolve the contract findings (detection). For `seamwatch contracts check` and the job."""
    from collectors.contracts import run_contract_checks
    from detectors.contracts import run_contract_detection

    moment = now or utcnow()
    checks = run_contract_checks(store, inventory, settings, moment)
    _, outcome = run_contract_detection(store, inventory, settings, moment)
    return checks, outcome


def contract_jobs(settings: Settings, store: Store, inventory: InventoryWatch) -> list[Job]:
    """Contracts every `[contracts] interval`, when the section exists and is enabled."""
    from collectors.contracts import load_contracts_options, scheduled

    if not scheduled(settings):
        return []
    every = load_contracts_options(settings).interval
    return [
        Job(
            "contracts",
            lambda: check_contracts(settings, store, inventory.get()),
            every,
            run_now=False,
            first_run_after=timedelta(seconds=30),
        )
    ]


def build_scheduler(settings: Settings, *, now: datetime | None = None) -> BackgroundScheduler:
    """A scheduler with every job of the daemon, not yet started.

    With `[scheduler] metrics_port` set, the daemon's own /metrics is served from here on and
    stops when the scheduler shuts down.
    """
    store = Store.from_settings(settings)
    try:  # a store held by another process delays the migration; cycles spool meanwhile
        store.migrate()
    except StoreLocked as exc:
        log.warning("starting with the store busy (cycles spool until it is free): %s", exc)
    inventory = InventoryWatch(settings, store)
    inventory.get()
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.scheduler.misfire_grace.total_seconds()),
        },
    )
    metrics = SelfMetrics(spool_depth=store.spool.depth)
    start = now or datetime.now().astimezone()
    from cli.report import announcer  # reports hand their summary over, alerts post it

    runtime = Runtime(settings, store, inventory.get, metrics, announcer(settings))
    stages = load_stages()
    jobs = [job for stage in stages for job in stage.jobs(runtime)]
    jobs += housekeeping_jobs(settings, store, inventory)
    jobs += contract_jobs(settings, store, inventory)
    for job in jobs:
        # Without next_run_time the trigger schedules the first run one interval from now.
        extra = {"next_run_time": start} if job.run_now else {}
        if job.first_run_after is not None:
            extra = {"next_run_time": start + job.first_run_after}
        scheduler.add_job(
            _timed(job.id, job.func, metrics),
            trigger_of(job),
            id=job.id,
            name=job.id,
            **extra,
        )
    scheduler.add_listener(_log_failure, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_listener(
        lambda event: metrics.job_failed(event.job_id) if event.exception else None,
        EVENT_JOB_ERROR,
    )
    services = [service for stage in stages for service in stage.services(runtime)]
    for service in services:
        scheduler.add_listener(lambda _event, s=service: s.close(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.seamwatch_services = services  # type: ignore[attr-defined]  # for `run` and tests
    port = settings.scheduler.metrics_port
    if port:
        for job in fleet_metrics_jobs(store, metrics):
            scheduler.add_job(
                _timed(job.id, job.func, metrics),
                IntervalTrigger(seconds=int(job.every.total_seconds())),
                id=job.id,
                name=job.id,
                next_run_time=start,
            )
        metrics.serve(port, settings.scheduler.metrics_address)
        scheduler.add_listener(lambda _event: metrics.close(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.seamwatch_metrics = metrics  # type: ignore[attr-defined]  # for `run` and tests
    return scheduler


def trigger_of(job: Job) -> BaseTrigger:
    """The job's own trigger, else its interval (on the epoch grid when `aligned`)."""
    if job.trigger is not None:
        return job.trigger
    if job.aligned:
        return AlignedInterval(job.every)
    return IntervalTrigger(seconds=max(1, int(job.every.total_seconds())))


def _timed(job_id: str, func: Callable[[], object], metrics: SelfMetrics) -> Callable[[], object]:
    """The job, counted in the daemon's own metrics (runs by outcome, duration, last success)."""

    def run() -> object:
        clock = time.perf_counter()
        ok = False
        try:
            result = func()
            ok = True
            return result
        finally:
            metrics.job_finished(job_id, time.perf_counter() - clock, ok)

    return run


def _log_failure(event: JobExecutionEvent) -> None:
    if event.exception is not None:
        log.error("job %s failed: %s", event.job_id, event.exception)
    else:
        log.warning("job %s missed its run time", event.job_id)


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (previous handlers restored)."""
    stop = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_until_stopped(
    scheduler: BackgroundScheduler,
    on_stop: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Start the scheduler and block until SIGINT or SIGTERM (or `stop`, from a caller's own
    `stop_on_signals`, possibly set already), then shut down cleanly."""
    if stop is None:
        with stop_on_signals() as stop:
            run_until_stopped(scheduler, on_stop, stop)
        return
    scheduler.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if on_stop:
            on_stop()
        scheduler.shutdown(wait=True)
        log.info("scheduler stopped")
