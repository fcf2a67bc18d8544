"""week_over_week: the last 7 days against the 7 before, hour of week against hour of week.

Paired differences of log levels at the same hour of week remove daily and weekly seasonality;
the median difference (latency) or the ratio of means (throughput, error rate) measures the
change; a Wilcoxon signed-rank test, its variance widened for autocorrelation, decides whether
it is more than noise. Both must hold, so one spike or one holiday does not decide it.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from detectors import DETECTORS
from detectors.common import (
    finding,
    label,
    num,
    pct,
    prepared,
    series_thresholds,
    shape_onset,
    slo_for,
    value,
    worse_sign,
)
from detectors.frame import DetectionFrame
from detectors.shape import metric_shapes
from detectors.stats import nanmedian, signed_rank, variance_inflation
from detectors.types import Finding, Severity
from seamwatch.metrics import LATENCY_METRICS

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "week_over_week"
WEEK = 168
METRICS = DETECTORS[NAME].metrics
MIN_PAIRS = 72  # three days of matched hours


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for series whose last week is worse than the week before, significantly."""
    if frame.hours < 2 * WEEK:
        return []
    findings: list[Finding] = []
    for series in prepared(frame, METRICS, last=2 * WEEK):
        metric, mf, x, y = series.metric, series.mf, series.x, series.y
        prev, recent = x[:, :WEEK], x[:, WEEK:]
        d = y[:, WEEK:] - y[:, :WEEK]
        paired = np.isfinite(d)
        pairs = paired.sum(axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if metric in LATENCY_METRICS:
                base = nanmedian(np.where(paired, prev, np.nan), axis=1)
                cur = nanmedian(np.where(paired, recent, np.nan), axis=1)
                change = np.expm1(nanmedian(d, axis=1))
            else:
                base = np.nanmean(np.where(paired, prev, np.nan), axis=1)
                cur = np.nanmean(np.where(paired, recent, np.nan), axis=1)
                change = np.where(base > 0, cur / base - 1, np.where(cur > 0, np.inf, 0.0))
        z, p = signed_rank(d, variance_inflation(d, 24))
        th = series_thresholds(frame, settings, mf)
        sign = worse_sign(metric)
        fire = (
            (pairs >= MIN_PAIRS)
            & (sign * change >= th.change)
            & (sign * (cur - base) >= th.min_delta)
            & (sign * z > 0)
            & (p < th.alpha)
        )
        shapes = metric_shapes(frame, metric) if fire.any() else None
        for row in np.flatnonzero(fire):
            iid = mf.ids[row]
            slo = slo_for(frame, iid, metric)
            breached = slo is not None and sign * (cur[row] - slo) > 0
            severe = sign * change[row] >= 2 * th.change[row] or breached
            direction = "up" if change[row] > 0 else "down"
            shown = pct(change[row]) if np.isfinite(change[row]) else "from zero"
            summary = (
                f"{label(metric)} {direction} {shown.lstrip('+-')} week over week, "
                f"{value(metric, base[row])} → {value(metric, cur[row])}"
                + (f" (SLO {value(metric, slo)})" if breached else "")
            )
            findings.append(
                finding(
                    NAME,
                    iid,
                    metric,
                    Severity.CRITICAL if severe else Severity.WARNING,
                    summary,
                    onset=shape_onset(frame, shapes, row) or as_of - timedelta(hours=WEEK),
                    evidence={
                        "baseline": num(base[row]),
                        "current": num(cur[row]),
                        "change": num(change[row]),
                        "p_value": num(p[row], 8),
                        "z": num(z[row], 2),
                        "matched_hours": int(pairs[row]),
                        "threshold": num(th.change[row]),
                        "slo": slo,
                        "window": "last 7d vs the 7d before, same hour of week",
                    },
                )
            )
    return findings
