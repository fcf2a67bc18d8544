"""slo_burn: error budget burn against the error-rate SLO, multi-window and multi-burn-rate.

As in the SRE workbook: an alert fires when the budget fraction of a window pair would be spent
at the current rate in the long window, confirmed by the short window (so it also stops
quickly once the errors stop). Defaults: 2% of the budget in 1h (5m), 5% in 6h (30m) page;
10% in 3d (6h) tickets. The error ratio is weighted by throughput where it is known.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from detectors.common import finding, label, num, value
from detectors.frame import HOUR_S, RECENT_BUCKET_S, DetectionFrame, MetricFrame
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.metrics import Metric
from seamwatch.severity import SEVERITIES

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "slo_burn"


class BurnWindow(StrictModel):
    """One SRE-workbook alert: `budget` of the error budget spent in `long`, confirmed by `short`."""

    long: Duration
    short: Duration
    budget: float = Field(gt=0, le=1)
    severity: str = Field(default="critical", pattern=f"^({'|'.join(SEVERITIES)})$")


class SloBurnOptions(StrictModel):
    """Multi-window multi-burn-rate alerts on the error-rate SLO (defaults: the SRE workbook)."""

    windows: list[BurnWindow] = Field(
        default_factory=lambda: [
            BurnWindow(long=timedelta(hours=1), short=timedelta(minutes=5), budget=0.02),
            BurnWindow(long=timedelta(hours=6), short=timedelta(minutes=30), budget=0.05),
            BurnWindow(
                long=timedelta(days=3), short=timedelta(hours=6), budget=0.10, severity="warning"
            ),
        ]
    )


def _ratio(err: np.ndarray, thr: np.ndarray | None) -> float:
    """Errors over requests in the buckets given; plain mean where throughput is unknown."""
    ok = np.isfinite(err)
    if thr is not None:
        weighted = ok & np.isfinite(thr)
        if weighted.any() and thr[weighted].sum() > 0:
            return float((err[weighted] * thr[weighted]).sum() / thr[weighted].sum())
    return float(err[ok].mean()) if ok.any() else math.nan


def _window(
    span: timedelta, err: MetricFrame, row: int, thr: MetricFrame | None, trow: int | None
) -> float:
    """The error ratio over the last `span` (5-minute buckets up to 6h, hours beyond)."""
    seconds = span.total_seconds()
    if seconds <= err.recent.shape[1] * RECENT_BUCKET_S:
        k = max(1, math.ceil(seconds / RECENT_BUCKET_S))
        e = err.recent[row, -k:]
        t = thr.recent[trow, -k:] if thr is not None and trow is not None else None
        if not np.isfinite(e).any():  # coarse series: the newest bucket we have
            have = np.flatnonzero(np.isfinite(err.recent[row]))
            if have.size == 0:
                return math.nan
            e = err.recent[row, have[-1:]]
            t = thr.recent[trow, have[-1:]] if thr is not None and trow is not None else None
        return _ratio(e, t)
    k = max(1, math.ceil(seconds / HOUR_S))
    t = thr.mean[trow, -k:] if thr is not None and trow is not None else None
    return _ratio(err.mean[row, -k:], t)


def burn_onset(frame: DetectionFrame, errors: np.ndarray, slo: float) -> datetime | None:
    """The first hour of the current burn: the start of the last run of hours above the SLO
    (hours without data do not break a run; three hours at or below it do)."""
    over = np.flatnonzero(np.isfinite(errors) & (errors > slo))
    if over.size == 0:
        return None
    below = np.isfinite(errors) & (errors <= slo)
    start = int(over[-1])
    for column in over[::-1]:
        if below[column:start].sum() >= 3:
            break
        start = int(column)
    return frame.hour_start(start)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for integrations with an error-rate SLO whose budget burns too fast."""
    err = frame.get(Metric.ERROR_RATE)
    if err is None:
        return []
    thr = frame.get(Metric.THROUGHPUT)
    thr_rows = {iid: i for i, iid in enumerate(thr.ids)} if thr is not None else {}
    findings: list[Finding] = []
    for row, iid in enumerate(err.ids):
        integration = frame.integration(iid)
        if integration is None or not integration.slo.error_rate:
            continue
        slo = integration.slo.error_rate
        period = integration.slo.window
        trow = thr_rows.get(iid)
        budget_ratio = _ratio(
            err.mean[row], thr.mean[trow] if thr is not None and trow is not None else None
        )
        for rule in settings.slo_burn.windows:
            factor = rule.budget * period / rule.long
            long_ratio = _window(rule.long, err, row, thr, trow)
            short_ratio = _window(rule.short, err, row, thr, trow)
            if not (np.isfinite(long_ratio) and np.isfinite(short_ratio)):
                continue
            burn_long, burn_short = long_ratio / slo, short_ratio / slo
            if burn_long < factor or burn_short < factor:
                continue
            findings.append(
                finding(
                    NAME,
                    iid,
                    Metric.ERROR_RATE,
                    Severity(rule.severity),
                    onset=burn_onset(frame, err.mean[row], slo) or as_of - rule.long,
                    summary=(
                        f"error budget burning {burn_long:.1f}x: {label(Metric.ERROR_RATE)} "
                        f"{value(Metric.ERROR_RATE, long_ratio)} over {format_duration(rule.long)} "
                        f"against a {value(Metric.ERROR_RATE, slo)} SLO "
                        f"({rule.budget * 100:.0f}% of the {format_duration(period)} budget "
                        f"in {format_duration(rule.long)}, still {burn_short:.1f}x over the "
                        f"last {format_duration(rule.short)})"
                    ),
                    evidence={
                        "slo": slo,
                        "burn_rate": num(burn_long, 3),
                        "burn_rate_short": num(burn_short, 3),
                        "burn_threshold": num(factor, 3),
                        "error_ratio": num(long_ratio, 6),
                        "error_ratio_short": num(short_ratio, 6),
                        "window": format_duration(rule.long),
                        "short_window": format_duration(rule.short),
                        "budget_fraction": rule.budget,
                        "slo_window": format_duration(period),
                        "budget_spent_in_lookback": num(
                            budget_ratio * frame.hours / (period.total_seconds() / 3600) / slo, 4
                        )
                        if np.isfinite(budget_ratio)
                        else None,
                    },
                )
            )
            break  # the most urgent rule that fires speaks for the integration
    return findings
