"""no_data: samples stopped arriving, as opposed to an integration that is simply quiet.

A series is stale when its newest sample is older than `multiple` times its source's interval
(from `[[sources]]`, matched through the sample's `source` column; inferred from the sample
spacing where no source block matches). A stretch that was also empty at the same hours of the
previous weeks (a source that only reports while a batch runs) is quiet, not stale.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from detectors.common import finding, iso, label
from detectors.frame import HOUR_S, DetectionFrame, SeriesInfo
from detectors.stats import nanmedian
from detectors.types import INVENTORY_METRIC, Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.inventory import Lifecycle
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "no_data"
WEEK = 168


class NoDataOptions(StrictModel):
    """Stale when the newest sample is older than `multiple` source intervals (and min_age)."""

    multiple: float = Field(default=5.0, ge=1)
    min_age: Duration = timedelta(minutes=10)
    default_interval: Duration = timedelta(minutes=1)


Spacing = tuple[np.ndarray, int, timedelta | None]
"""A series' place in its metric's count matrix (matrix, row) and the sample spacing its data
shows (None where no hour has a sample)."""


def _spacing(frame: DetectionFrame) -> dict[tuple[str, str], Spacing]:
    """Every series' Spacing, computed per metric across series: only series with fewer than
    1.5 samples in a typical busy hour need a look at their own gaps."""
    out: dict[tuple[str, str], Spacing] = {}
    for mf in frame.metrics.values():
        per_hour = nanmedian(np.where(mf.count > 0, mf.count, np.nan), axis=1)
        with np.errstate(invalid="ignore"):
            busy = per_hour >= 1.5
        spacing: list[timedelta | None] = [None] * len(mf.ids)
        for row in np.flatnonzero(busy):
            spacing[row] = timedelta(seconds=HOUR_S / float(per_hour[row]))
        sparse = np.flatnonzero(np.isfinite(per_hour) & ~busy)
        if sparse.size:  # the median gap between hours with samples, all such rows at once
            hours = np.arange(mf.count.shape[1], dtype=float)
            seen = np.sort(np.where(mf.count[sparse] > 0, hours, np.nan), axis=1)  # NaN last
            gap = nanmedian(np.diff(seen, axis=1), axis=1)  # NaN: under two such hours
            for row, median in zip(sparse, gap, strict=True):
                spacing[row] = timedelta(hours=float(median) if np.isfinite(median) else 1.0)
        metric, count = mf.metric.value, mf.count
        out.update(((iid, metric), (count, row, spacing[row])) for row, iid in enumerate(mf.ids))
    return out


def _interval(
    frame: DetectionFrame, info: SeriesInfo, spacing: Spacing | None, default: timedelta
) -> timedelta:
    """The expected spacing of samples: the source's interval, else what the data shows."""
    if info.source and info.source in frame.source_intervals:
        return frame.source_intervals[info.source]
    if spacing is not None and spacing[2] is not None:
        return spacing[2]
    return default


def _usually_quiet(frame: DetectionFrame, series: Spacing | None, last_ts: datetime) -> bool:
    """Whether the hours since the last sample were also empty in every earlier week we have."""
    if series is None:
        return False
    counts = series[0][series[1]]
    start = int(last_ts.timestamp()) // HOUR_S + 1 - frame.first_hour
    end = frame.hours
    if start >= end or end - start > 48:
        return False
    weeks = [w for w in range(1, 4) if start - w * WEEK >= 0]
    if not weeks:
        return False
    return all(counts[start - w * WEEK : end - w * WEEK].sum() == 0 for w in weeks)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for integrations (or single metrics) whose samples stopped arriving."""
    options = settings.no_data
    counts = _spacing(frame)
    by_integration: dict[str, list[SeriesInfo]] = defaultdict(list)
    for info in frame.series:
        by_integration[info.integration_id].append(info)
    findings: list[Finding] = []
    for iid, infos in sorted(by_integration.items()):
        integration = frame.integration(iid)
        if integration is not None and integration.lifecycle in (
            Lifecycle.RETIRED,
            Lifecycle.PLANNED,
        ):
            continue
        stale: list[tuple[SeriesInfo, timedelta, timedelta]] = []
        for info in infos:
            if info.last_ts is None:
                continue
            series_counts = counts.get((iid, info.metric))
            interval = _interval(frame, info, series_counts, options.default_interval)
            age = as_of - info.last_ts
            limit = max(options.multiple * interval, options.min_age)
            if age > limit and not _usually_quiet(frame, series_counts, info.last_ts):
                stale.append((info, age, interval))
        if not stale:
            continue
        tier = integration.tier if integration else None
        severity = Severity.CRITICAL if tier is not None and tier <= 2 else Severity.WARNING
        if len(stale) == len(infos):
            newest = max(info.last_ts for info, _, _ in stale if info.last_ts)
            age = as_of - newest
            interval = min(i for _, _, i in stale)
            findings.append(
                _finding(
                    iid,
                    INVENTORY_METRIC,
                    severity,
                    "no samples",
                    newest,
                    age,
                    interval,
                    [i.metric for i, _, _ in stale],
                )
            )
            continue
        for info, age, interval in stale:
            findings.append(
                _finding(
                    iid,
                    info.metric,
                    severity,
                    f"no {label(Metric(info.metric))} samples",
                    info.last_ts,
                    age,
                    interval,
                    [info.metric],
                )
            )
    return findings


def _finding(
    iid: str,
    metric: str,
    severity: Severity,
    what: str,
    last: datetime | None,
    age: timedelta,
    interval: timedelta,
    metrics: list[str],
) -> Finding:
    shown = format_duration(timedelta(minutes=round(age.total_seconds() / 60)))
    return finding(
        NAME,
        iid,
        metric,
        severity,
        (
            f"{what} for {shown} (last at {last:%Y-%m-%d %H:%M} UTC; "
            f"expected every {format_duration(interval)})"
        ),
        onset=last,
        evidence={
            "last_sample": iso(last) if last else None,
            "age_seconds": int(age.total_seconds()),
            "expected_interval_seconds": int(interval.total_seconds()),
            "metrics": sorted(metrics),
        },
    )
