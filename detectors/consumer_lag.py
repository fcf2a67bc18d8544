"""consumer_lag: work queues and consumer groups judged like Burrow judges consumers.

Reads `backlog` with `consume_rate` and `consumers` of the same integration over the last
`window` of 5-minute observations and names the state (see `detectors.queues`): STOPPED and
STALLED are critical, WARNING (falling behind), REWIND and RESET are warnings; OK is silent.
The finding's `since` is where the state began: for STOPPED the first observation without a
consumer, for a jump the step it happened in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from detectors.common import finding, iso, num, value
from detectors.frame import RECENT_BUCKET_S, DetectionFrame, MetricFrame
from detectors.queues import QueueState, Verdict, judge
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "consumer_lag"

SEVERITY = {
    QueueState.STOPPED: Severity.CRITICAL,
    QueueState.STALLED: Severity.CRITICAL,
    QueueState.WARNING: Severity.WARNING,
    QueueState.REWIND: Severity.WARNING,
    QueueState.RESET: Severity.WARNING,
}


class ConsumerLagOptions(StrictModel):
    """The sliding window of 5-minute observations a queue is judged over (at most 6h)."""

    window: Duration = timedelta(minutes=30)
    min_points: int = Field(default=4, ge=2, le=72)

    @field_validator("window")
    @classmethod
    def _inside_recent(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=10) <= value <= timedelta(hours=6):
            raise ValueError("window must be between 10m and 6h (5-minute observations)")
        return value


def _rows(mf: MetricFrame | None) -> dict[str, int]:
    return {iid: row for row, iid in enumerate(mf.ids)} if mf is not None else {}


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """One finding per backlog whose window shows a consumer in trouble."""
    backlog = frame.get(Metric.BACKLOG)
    if backlog is None:
        return []
    options = settings.consumer_lag
    width = max(2, int(options.window.total_seconds() // RECENT_BUCKET_S))
    rate, count = frame.get(Metric.CONSUME_RATE), frame.get(Metric.CONSUMERS)
    rate_rows, count_rows = _rows(rate), _rows(count)
    end_bucket = int(as_of.timestamp()) // RECENT_BUCKET_S
    n_recent = backlog.recent.shape[1]
    findings: list[Finding] = []
    for row, iid in enumerate(backlog.ids):
        window = backlog.recent[row, -width:]
        consumed = rate.recent[rate_rows[iid], -width:] if rate and iid in rate_rows else None
        consumers = count.recent[count_rows[iid], -width:] if count and iid in count_rows else None
        verdict = judge(
            window,
            consumed,
            consumers,
            step_seconds=RECENT_BUCKET_S,
            min_points=options.min_points,
        )
        if verdict is None or verdict.state is QueueState.OK:
            continue
        column = n_recent - width + verdict.since
        if verdict.state is QueueState.STOPPED and consumers is not None:
            column = _run_start(count.recent[count_rows[iid]] <= 0, column)  # type: ignore[union-attr]
        elif verdict.state is QueueState.STALLED and consumed is not None:
            column = _run_start(rate.recent[rate_rows[iid]] <= 0, column)  # type: ignore[union-attr]
        since = datetime.fromtimestamp((end_bucket - n_recent + 1 + column) * RECENT_BUCKET_S, UTC)
        findings.append(_finding(iid, verdict, since, options.window))
    return findings


def _run_start(flags: np.ndarray, column: int) -> int:
    """Where the run of True that reaches `column` began, over the whole recent span: a
    consumer gone for two hours is STOPPED since two hours, not since the window's start."""
    while column > 0 and flags[column - 1]:
        column -= 1
    return column


def _finding(iid: str, v: Verdict, since: datetime, window: timedelta) -> Finding:
    span = format_duration(window)
    backlog = f"{value(Metric.BACKLOG, v.first)} → {value(Metric.BACKLOG, v.last)}"
    rate = value(Metric.CONSUME_RATE, v.consumed) if v.consumed is not None else "unknown"
    summary = {
        QueueState.STOPPED: f"STOPPED: no consumer since {since:%H:%M} UTC, backlog {backlog} over {span}",
        QueueState.STALLED: (
            f"STALLED: consumer attached but nothing consumed in {span}, backlog {backlog}"
        ),
        QueueState.WARNING: (
            f"WARNING: falling behind, backlog rose at every step over {span} ({backlog}) "
            f"while consuming {rate}"
        ),
        QueueState.REWIND: (
            f"REWIND: backlog jumped by {value(Metric.BACKLOG, v.jump)} at {since:%H:%M} UTC "
            "(offsets moved back, or a burst far beyond the usual)"
        ),
        QueueState.RESET: (
            f"RESET: backlog fell by {value(Metric.BACKLOG, -(v.jump or 0))} at {since:%H:%M} UTC, "
            "more than consumption explains (offsets moved forward: messages skipped?)"
        ),
    }[v.state]
    return finding(
        NAME,
        iid,
        Metric.BACKLOG,
        SEVERITY[v.state],
        summary,
        evidence={
            "state": v.state.value,
            "since": iso(since),
            "baseline": num(v.first),
            "current": num(v.last),
            "consume_rate": None if v.consumed is None else num(v.consumed),
            "consumers": None if v.consumers is None else num(v.consumers),
            "jump": None if v.jump is None else num(v.jump),
            "window": span,
        },
        onset=since,
    )
