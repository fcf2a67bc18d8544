"""The reports stage as the roots see it: `[reports]`, and the weekly review at its scheduled
time plus a catch-up for a week whose run the daemon missed. Its chat summary is handed to the
roots (`Runtime.announce`), which post it through the alerts stage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from reports.schedule import report_trigger
from reports.settings import ReportSettings, report_settings
from reports.writer import Written, announcement, catch_up, mark_posted, run_scheduled
from seamwatch.stage import Job, Runtime, Stage
from seamwatch.store import Store
from seamwatch.timeutil import utcnow

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
            lambda: publish(runtime, run_scheduled(settings)),
            timedelta(weeks=1),
            run_now=False,
            trigger=report_trigger(rs),
        ),
        Job(
            "report-catch-up",
            after_first_detection(runtime.store, lambda: publish(runtime, catch_up(settings))),
            CATCH_UP_POLL,
        ),
    ]


def publish(
    runtime: Runtime, written: list[Written], *, now: datetime | None = None
) -> list[Written]:
    """Hand the fleet review's summary to the roots when `[reports]` asks for a post (post_url
    or chat_route); stamp the report posted when it went out. A failed post is the alerts
    stage's to log; the review stays written."""
    rs = report_settings(runtime.settings)
    wanted = rs.post_url is not None or rs.chat_route is not None
    if written and wanted and runtime.announce is not None:
        fleet = written[0]
        if runtime.announce(announcement(fleet)):
            mark_posted(runtime.store, fleet.report.report_id, now or utcnow())
    return written


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
