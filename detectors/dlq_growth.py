"""dlq_growth: a dead-letter queue that keeps growing, or holds messages and never drains.

Modelled on Burrow's consumer-lag rules: growing (depth rose by at least `min_delta` over the
window, Mann-Kendall significant, never drained by more than `drain_tolerance`) and stuck (at
least `min_delta` messages for `stuck_after` without ever going down). Works at small depths.
Work queues and consumer groups are judged by `consumer_lag` in the same vocabulary
(`detectors.queues`); a DLQ's findings carry that state too: growing is STOPPED, not draining
is STALLED.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from detectors.common import finding, label, num, prepared_one, series_thresholds, slo_for, value
from detectors.frame import DetectionFrame
from detectors.queues import QueueState
from detectors.stats import mann_kendall
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "dlq_growth"


class DlqOptions(StrictModel):
    """A DLQ that grew by at least min_delta (thresholds) over `window` without draining."""

    window: Duration = timedelta(hours=12)
    stuck_after: Duration = timedelta(hours=24)
    drain_tolerance: float = Field(default=0.15, ge=0, lt=1)


def _drawdown(v: np.ndarray) -> np.ndarray:
    """The largest fall from a running maximum, as a fraction of that maximum, per row."""
    filled = np.where(np.isfinite(v), v, -np.inf)
    running = np.maximum.accumulate(filled, axis=1)
    with np.errstate(all="ignore"):
        fall = np.where(np.isfinite(v) & (running > 0), (running - v) / running, 0.0)
    return np.nanmax(np.nan_to_num(fall), axis=1) if v.shape[1] else np.zeros(v.shape[0])


def _first_last(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(v)
    rows = np.arange(v.shape[0])
    first = v[rows, np.argmax(ok, axis=1)]
    last = v[rows, v.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)]
    none = ~ok.any(axis=1)
    return np.where(none, np.nan, first), np.where(none, np.nan, last)


def fill_onset(frame: DetectionFrame, depth: np.ndarray, span: int) -> datetime | None:
    """When the queue began to fill: the hour after it was last at its lowest of the last `span`
    hours."""
    recent = depth[-span:]
    if not np.isfinite(recent).any():
        return None
    low = np.nanmin(recent)
    at = np.flatnonzero(np.isfinite(recent) & (recent <= low))[-1]
    return frame.hour_start(min(frame.hours - 1, frame.hours - len(recent) + int(at) + 1))


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for DLQs that grow without draining, or hold messages for too long."""
    series = prepared_one(frame, Metric.DLQ_DEPTH, values="last")
    options = settings.dlq_growth
    window = max(3, int(options.window.total_seconds() // 3600))
    stuck = max(window, int(options.stuck_after.total_seconds() // 3600))
    if series is None or frame.hours < window:
        return []
    mf, x = series.mf, series.x
    th = series_thresholds(frame, settings, mf)
    v = x[:, -window:]
    first, last = _first_last(v)
    test = mann_kendall(v, np.arange(window) / 1.0, correction="none")
    rises = np.sum(np.diff(v, axis=1) > 0, axis=1)  # growth spread over hours, not one burst
    growing = (
        (np.isfinite(v).sum(axis=1) >= window // 2)
        & (rises >= window // 3)
        & (last - first >= th.min_delta)
        & (_drawdown(v) <= options.drain_tolerance)
        & (test.slope > 0)
        & (test.p < th.alpha)
    )
    held = x[:, -stuck:] if frame.hours >= stuck else x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        held_min = np.nanmin(held, axis=1)
    stuck_rows = (
        ~growing
        & (np.isfinite(held).sum(axis=1) >= 0.75 * held.shape[1])
        & (held_min >= th.min_delta)
        & (_drawdown(held) <= options.drain_tolerance)
    )
    findings: list[Finding] = []
    for row in np.flatnonzero(growing | stuck_rows):
        iid = mf.ids[row]
        depth = last[row] if np.isfinite(last[row]) else first[row]
        limit = slo_for(frame, iid, Metric.DLQ_DEPTH)
        over = limit is not None and depth > limit
        if growing[row]:
            span = format_duration(options.window)
            summary = (
                f"{label(Metric.DLQ_DEPTH)} grew from {value(Metric.DLQ_DEPTH, first[row])} to "
                f"{value(Metric.DLQ_DEPTH, last[row])} over the last {span} and is not draining "
                f"(+{test.slope[row]:.1f} msgs/h)"
            )
        else:
            span = format_duration(options.stuck_after)
            summary = (
                f"{label(Metric.DLQ_DEPTH)} has held at least {value(Metric.DLQ_DEPTH, held_min[row])} "
                f"for {span} without draining (now {value(Metric.DLQ_DEPTH, depth)})"
            )
        if over:
            summary += f"; above the {value(Metric.DLQ_DEPTH, limit)} limit"
        findings.append(
            finding(
                NAME,
                iid,
                Metric.DLQ_DEPTH,
                Severity.CRITICAL if over else Severity.WARNING,
                summary,
                onset=fill_onset(frame, x[row], stuck + 7 * 24),
                evidence={
                    "rule": "growing" if growing[row] else "not draining",
                    # Burrow's words, shared with consumer_lag: nobody drains a growing DLQ
                    # (STOPPED); one that holds messages and never drains is STALLED
                    "state": (QueueState.STOPPED if growing[row] else QueueState.STALLED).value,
                    "baseline": num(first[row]),
                    "current": num(depth),
                    "change": num(last[row] - first[row]),
                    "slope_per_hour": num(test.slope[row], 3),
                    "p_value": num(test.p[row], 8),
                    "limit": limit,
                    "window": span,
                },
            )
        )
    return findings
