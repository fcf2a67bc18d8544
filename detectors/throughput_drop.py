"""throughput_drop: traffic well below the same hours of recent weeks.

The last day is compared with the median of the same hours of week over the previous weeks,
counting only hours that usually carry traffic (so a batch job's idle night is not "down
100%"). Quiet series with few busy hours get a longer window (3 days, then 7).
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field
from scipy import stats

from detectors.common import (
    finding,
    label,
    num,
    prepared_one,
    series_thresholds,
    shape_onset,
    slo_for,
    value,
)
from detectors.frame import DetectionFrame
from detectors.shape import metric_shapes
from detectors.stats import nanmedian
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "throughput_drop"
WEEK = 168
MIN_ACTIVE = 6


class ThroughputDropOptions(StrictModel):
    """The last `window` against the same hours of up to `weeks` previous weeks."""

    window: Duration = timedelta(hours=24)
    weeks: int = Field(default=3, ge=1, le=8)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for integrations whose traffic fell well below its usual level for these hours."""
    series = prepared_one(frame, Metric.THROUGHPUT, values="mean")
    options = settings.throughput_drop
    first = max(1, int(options.window.total_seconds() // 3600))
    if series is None or frame.hours < first + WEEK:
        return []
    mf, x = series.mf, series.x
    th = series_thresholds(frame, settings, mf)
    n = len(mf.ids)
    chosen = np.full(n, -1)
    results: dict[int, tuple[np.ndarray, ...]] = {}
    for index, hours in enumerate(sorted({first, max(first, 72), max(first, WEEK)})):
        weeks = [w for w in range(1, options.weeks + 1) if hours + w * WEEK <= frame.hours]
        if not weeks:
            continue
        recent = x[:, -hours:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            usual = nanmedian(
                np.stack([x[:, -hours - w * WEEK : frame.hours - w * WEEK] for w in weeks]), axis=0
            )
            peak = np.nanmax(usual, axis=1, keepdims=True)
        active = (usual > 0) & (usual >= 0.1 * peak) & np.isfinite(recent)
        results[index] = (recent, usual, active, np.array(len(weeks)), np.array(hours))
        pick = (chosen < 0) & (active.sum(axis=1) >= MIN_ACTIVE)
        chosen[pick] = index
    findings: list[Finding] = []
    shapes = metric_shapes(frame, Metric.THROUGHPUT) if (chosen >= 0).any() else None
    for row in np.flatnonzero(chosen >= 0):
        recent, usual, active, weeks, hours = results[int(chosen[row])]
        mask = active[row]
        now_sum, usual_sum = recent[row, mask].sum(), usual[row, mask].sum()
        if usual_sum <= 0:
            continue
        drop = 1 - now_sum / usual_sum
        lower = int(np.sum(recent[row, mask] < usual[row, mask]))
        p = float(stats.binom.sf(lower - 1, int(mask.sum()), 0.5))
        tail = np.flatnonzero(mask)[-max(MIN_ACTIVE // 2, int(mask.sum()) // 4) :]
        tail_ratio = recent[row, tail].sum() / max(usual[row, tail].sum(), 1e-12)
        per_hour_gap = (usual_sum - now_sum) / mask.sum()
        if not (
            drop >= th.change[row]
            and p < th.alpha[row]
            and tail_ratio <= 1 - th.change[row] / 2
            and per_hour_gap >= th.min_delta[row]
        ):
            continue
        iid = mf.ids[row]
        now_mean, usual_mean = now_sum / mask.sum(), usual_sum / mask.sum()
        floor = slo_for(frame, iid, Metric.THROUGHPUT)
        below_floor = floor is not None and now_mean < floor
        findings.append(
            finding(
                NAME,
                iid,
                Metric.THROUGHPUT,
                Severity.CRITICAL if drop >= 0.6 or below_floor else Severity.WARNING,
                (
                    f"{label(Metric.THROUGHPUT)} down {drop * 100:.0f}% against the same hours of "
                    f"the last {int(weeks)} week{'s' if weeks > 1 else ''}: "
                    f"{value(Metric.THROUGHPUT, now_mean)} vs {value(Metric.THROUGHPUT, usual_mean)} "
                    f"usually (last {int(hours)} h)"
                ),
                onset=shape_onset(frame, shapes, row, "step")
                or as_of - timedelta(hours=int(hours)),
                evidence={
                    "baseline": num(usual_mean, 6),
                    "current": num(now_mean, 6),
                    "change": num(-drop),
                    "hours_compared": int(mask.sum()),
                    "hours_lower": lower,
                    "p_value": num(p, 8),
                    "weeks": int(weeks),
                    "threshold": num(th.change[row]),
                    "window": f"last {int(hours)} h vs the same hours of the previous weeks",
                },
            )
        )
    return findings
