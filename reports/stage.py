"""The reports stage as the roots see it: `[reports]` and the `report` command.

The weekly review's scheduled jobs are composed by the root (`cli.report.jobs`): a scheduled
review is written here and its summary posted through the alerts stage, and a stage never
imports another."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from reports.settings import ReportSettings
from seamwatch.stage import Stage
from seamwatch.store import Store

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


STAGE = Stage(
    name="reports",
    sections={"reports": ReportSettings},
    commands=("report",),
)
