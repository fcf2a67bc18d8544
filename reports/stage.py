"""The reports stage as the roots see it: `[reports]`, and the weekly review at its scheduled
time plus a catch-up for a week whose run the daemon missed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from reports.schedule import report_trigger
from reports.settings import ReportSettings, report_settings
from reports.writer import catch_up, run_scheduled
from seamwatch.stage import Job, Runtime, Stage
from seamwatch.store import Store

CATCH_UP_POLL = timedelta(seconds=15)
"""How often the report catch-up looks whether the first detection pass has finished."""


def jobs(runtime: Runtime) -> list[Job]:
    """The weekly review at `[reports] schedule_day`/`schedule_time` in its time zone, plus a
    catch-up for a week whose scheduled run the daemon missed, once the first detection pass
    has finished (a review written before it would call every integration healthy)."""
    settings = runtime.settings
    rs = report_settings(settings)
    if not rs.schedule:
        return []
    return [
        Job(
            "report",
            lambda: run_scheduled(settings),
            timedelta(weeks=1),
            run_now=False,
            trigger=report_trigger(rs),
        ),
        Job(
            "report-catch-up",
            after_first_detection(runtime.store, lambda: catch_up(settings)),
            CATCH_UP_POLL,
        ),
    ]


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


STAGE = Stage(
    name="reports",
    sections={"reports": ReportSettings},
    jobs=jobs,
    commands=("report",),
)
