"""The scheduler wiring of `seamwatch run`: one job per source at its interval, plus housekeeping.

Jobs are coalesced, one instance at a time, with a misfire grace; a failing job is logged and
runs again at its next time.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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

import reports
from collectors import Source, build_sources
from collectors.runner import CycleResult, run_cycle
from detectors.engine import run_detection
from detectors.settings import load_detector_settings
from seamwatch.config import Settings
from seamwatch.errors import StoreError, StoreLocked
from seamwatch.inventory import Inventory, load_inventory
from seamwatch.selfmetrics import SelfMetrics
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


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: id, what to call, every how long, whether to run at start.

    `trigger`, when given, replaces the interval (e.g. a CronTrigger at a local time of day).
    """

    id: str
    func: Callable[[], Any]
    every: timedelta
    run_now: bool = True
    trigger: BaseTrigger | None = None
    first_run_after: timedelta | None = None  # overrides run_now: first run this long after start


def housekeeping_jobs(settings: Settings, store: Store, inventory: InventoryWatch) -> list[JobSpec]:
    """Rollups, retention and inventory reload."""
    sched = settings.scheduler
    return [
        JobSpec("rollup", store.rollup, sched.rollup_interval, run_now=False),
        JobSpec("retention", lambda: store.apply_retention(utcnow()), sched.retention_interval),
        JobSpec("inventory", inventory.get, timedelta(minutes=1), run_now=False),
    ]


FLEET_METRICS_EVERY = timedelta(seconds=30)
"""How often /metrics' per-integration health and latest values are read from the store."""


def fleet_metrics_jobs(store: Store, metrics: SelfMetrics) -> list[JobSpec]:
    """Seamwatch's view of the fleet on /metrics, read at start and then every 30 s."""
    return [JobSpec("fleet-metrics", lambda: metrics.fleet.refresh(store), FLEET_METRICS_EVERY)]


def collection_jobs(
    settings: Settings,
    store: Store,
    inventory: InventoryWatch,
    metrics: SelfMetrics | None = None,
) -> list[JobSpec]:
    """One job per enabled source; each cycle's result feeds the daemon's own metrics."""
    jobs = []
    configured = {s.name for s in settings.sources}
    for source in build_sources(settings):
        if not source.settings.enabled:
            continue

        def collect(source: Source = source) -> CycleResult:
            result = run_cycle(source, store, inventory.get(), configured=configured)
            if metrics is not None:
                metrics.observe(result)
            return result

        jobs.append(
            JobSpec(
                f"collect:{source.name}",
                collect,
                source.interval,
                trigger=AlignedInterval(source.interval),
            )
        )
    return jobs


def detection_jobs(
    settings: Settings,
    store: Store,
    inventory: InventoryWatch,
    metrics: SelfMetrics | None = None,
) -> list[JobSpec]:
    """Detection every `[detectors] interval`; the first run shortly after start, once the
    first collection cycle has landed, so a fresh `make up` shows findings within a minute."""
    every = load_detector_settings(settings).interval

    def detect() -> object:
        evaluation, changes = run_detection(store, inventory.get(), settings)
        if metrics is not None:
            metrics.findings(Counter(f.severity.value for f in evaluation.findings))
            metrics.fleet.refresh(store)  # health changes with detection: show it at once
        return changes

    return [
        JobSpec(
            "detect",
            detect,
            every,
            run_now=False,
            first_run_after=min(every, timedelta(seconds=20)),
        )
    ]


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


def contract_jobs(settings: Settings, store: Store, inventory: InventoryWatch) -> list[JobSpec]:
    """Contracts every `[contracts] interval`, when the section exists and is enabled."""
    from collectors.contracts import load_contracts_options, scheduled

    if not scheduled(settings):
        return []
    every = load_contracts_options(settings).interval
    return [
        JobSpec(
            "contracts",
            lambda: check_contracts(settings, store, inventory.get()),
            every,
            run_now=False,
            first_run_after=timedelta(seconds=30),
        )
    ]


def report_jobs(settings: Settings, store: Store | None = None) -> list[JobSpec]:
    """The weekly review at `[reports] schedule_day`/`schedule_time` in its time zone, plus a
    catch-up for a week whose scheduled run the daemon missed, once the first detection pass
    has finished (a review written before it would call every integration healthy)."""
    from cli import report as report_cmd  # writes with reports, posts through alerts

    rs = reports.report_settings(settings)
    if not rs.schedule:
        return []
    return [
        JobSpec(
            "report",
            lambda: report_cmd.scheduled(settings),
            timedelta(weeks=1),
            run_now=False,
            trigger=reports.report_trigger(rs),
        ),
        JobSpec(
            "report-catch-up",
            after_first_detection(
                store or Store.from_settings(settings),
                lambda: report_cmd.scheduled_catch_up(settings),
            ),
            CATCH_UP_POLL,
        ),
    ]


CATCH_UP_POLL = timedelta(seconds=15)
"""How often the report catch-up looks whether the first detection pass has finished."""


def after_first_detection(store: Store, func: Callable[[], object]) -> Callable[[], object]:
    """`func` once, at the first call after a detection pass has finished; no-ops otherwise."""
    done = threading.Event()

    def run() -> object:
        if done.is_set() or not store.exists():
            return None
        with store.read() as con:
            finished = con.execute(
                "SELECT count(*) FROM detector_runs WHERE finished_at IS NOT NULL"
            ).fetchone()
        if not finished or not finished[0]:
            return None
        done.set()
        return func()

    return run


def alert_jobs(
    settings: Settings, store: Store, metrics: SelfMetrics | None = None
) -> list[JobSpec]:
    """The notify cycle, when [alerts] has channels (reconciles unfinished claims at start)."""
    from alerts.engine import Notifier

    notifier = Notifier(settings, store=store)
    if not notifier.channels or not notifier.alerts.enabled:
        return []

    def notify() -> object:
        notifier.answer_test_requests()  # "send a test message" from the dashboard
        result = notifier.run(utcnow())
        if metrics is not None:
            metrics.notified(result.count("sent"), result.count("undelivered"))
        return result

    return [JobSpec("notify", notify, notifier.alerts.interval)]


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
    jobs = collection_jobs(settings, store, inventory, metrics)
    jobs += housekeeping_jobs(settings, store, inventory)
    jobs += alert_jobs(settings, store, metrics)
    jobs += report_jobs(settings, store)
    jobs += detection_jobs(settings, store, inventory, metrics)
    jobs += contract_jobs(settings, store, inventory)
    for job in jobs:
        # Without next_run_time the trigger schedules the first run one interval from now.
        extra = {"next_run_time": start} if job.run_now else {}
        if job.first_run_after is not None:
            extra = {"next_run_time": start + job.first_run_after}
        scheduler.add_job(
            _timed(job.id, job.func, metrics),
            job.trigger or IntervalTrigger(seconds=max(1, int(job.every.total_seconds()))),
            id=job.id,
            name=job.id,
            **extra,
        )
    scheduler.add_listener(_log_failure, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_listener(
        lambda event: metrics.job_failed(event.job_id) if event.exception else None,
        EVENT_JOB_ERROR,
    )
    serve_heartbeats(settings, store, inventory, scheduler)
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


def serve_heartbeats(
    settings: Settings, store: Store, inventory: InventoryWatch, scheduler: BackgroundScheduler
) -> None:
    """With `[heartbeats] enabled`, the ping endpoint from here on, stopped with the scheduler."""
    from collectors.heartbeat import HeartbeatServer, heartbeat_settings

    hb = heartbeat_settings(settings)
    if not hb.enabled:
        return
    server = HeartbeatServer(hb, store, lambda iid: iid in inventory.get()).start()
    scheduler.add_listener(lambda _event: server.close(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.seamwatch_heartbeats = server  # type: ignore[attr-defined]  # for `run` and tests


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
