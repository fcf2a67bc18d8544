"""trend: a sustained monotonic drift, found before week over week crosses its threshold.

The log level is deseasonalised (median per weekday/weekend hour of day), reduced to 4-hour
medians over the last `window`, and tested with Mann-Kendall; the variance is corrected for
autocorrelation (Hamed-Rao) because operational series wander, and an uncorrected test fires on
that wander. The Theil-Sen slope gives the drift as % per week; with an SLO, the projected breach.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, StrictBool
from scipy import stats

from detectors import DETECTORS
from detectors.common import (
    finding,
    label,
    num,
    prepared,
    series_thresholds,
    shape_onset,
    slo_for,
    value,
    worse_sign,
)
from detectors.frame import DetectionFrame
from detectors.shape import metric_shapes
from detectors.stats import (
    RampTest,
    TrendTest,
    bucket_median,
    deseasonalise,
    mann_kendall,
    nanmedian,
    ramp_test,
    recent_change,
    seasonal_slots,
)
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.metrics import LATENCY_METRICS

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "trend"
METRICS = DETECTORS[NAME].metrics
WEEK_H = 168.0


class TrendOptions(StrictModel):
    """Mann-Kendall (Hamed-Rao corrected) on the deseasonalised series of the last `window`.

    A young drift is caught earlier by the `early` path: a matched filter for a ramp that began
    up to `early_window` ago, in `bucket` means, calibrated on the series' own weeks before
    (their spread and autocorrelation); it fires at `early_z` sigmas and the configured rate.
    Either way the drift must also have accrued: the level of the last `accrued_window` at least
    `min_accrued` beyond the level of the 14 days before it (real series wander for days; a
    slope alone is no degradation while the last days sit where they usually do).
    """

    window: Duration = timedelta(days=10)
    bucket: Duration = timedelta(hours=4)
    correction: Literal["hamed-rao", "none"] = "hamed-rao"
    early: StrictBool = True
    early_z: float = Field(default=4.1, gt=0)
    early_window: Duration = timedelta(days=7)
    min_accrued: float = Field(default=0.10, ge=0)
    accrued_window: Duration = timedelta(hours=72)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for series drifting the bad way, significantly and by a rate that matters."""
    options = settings.trend
    window = int(options.window.total_seconds() // 3600)
    width = max(1, int(options.bucket.total_seconds() // 3600))
    if frame.hours < window or window < 8 * width:
        return []
    slots = seasonal_slots(frame.hour_of_week)
    accrued_h = int(options.accrued_window.total_seconds() // 3600)
    findings: list[Finding] = []
    for full in prepared(frame, METRICS):
        metric, mf = full.metric, full.mf
        sign = worse_sign(metric)
        # The accrued change is a necessary condition and cheap: the tests (every statistic
        # below is computed row by row) run only on the series that pass it.
        accrued = recent_change(full.x, accrued_h, robust=metric in LATENCY_METRICS)
        if options.min_accrued > 0:
            rows = np.flatnonzero(sign * accrued >= options.min_accrued)
        else:
            rows = np.arange(len(mf.ids))
        if rows.size == 0:
            continue
        series = full.take(rows)
        accrued = accrued[rows]
        x, y, residual = series.x, series.y, series.residual
        buckets = bucket_median(residual[:, -window:], width)
        history = bucket_median(residual[:, :-window], width)
        t = np.arange(buckets.shape[1]) * width / WEEK_H
        test = mann_kendall(buckets, t, correction=options.correction, history=history)
        th = series_thresholds(frame, settings, mf).take(rows)
        fire = (
            (test.n >= 0.6 * buckets.shape[1])
            & (sign * test.slope > 0)
            & (sign * np.expm1(test.slope) >= th.trend_per_week)
            & (test.p < th.alpha)
        )
        path = np.where(fire, "window", "")
        ages = np.full(len(rows), np.nan)
        z = np.full(len(rows), np.nan)
        early_span = 0
        if options.early and frame.hours >= 2 * int(options.early_window.total_seconds() // 3600):
            ramp, early_span = _early(y, slots, width, options, sign)
            per_week = sign * ramp.slope * WEEK_H  # log units per week, actual direction
            early = (np.nan_to_num(ramp.z) >= options.early_z) & (
                sign * np.expm1(per_week) >= th.trend_per_week
            )
            late = early & ~fire
            test = _pick(test, _as_trend_test(ramp, per_week), late)
            path = np.where(late, "early", path)
            ages = np.where(late, ramp.age, np.nan)
            z = ramp.z
            fire = fire | early
        rate = np.expm1(test.slope)
        if not fire.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            current = nanmedian(x[:, -24:], axis=1)
        firing = np.flatnonzero(fire)
        shapes = metric_shapes(frame, metric, rows=rows[firing])
        for at, row in enumerate(firing):
            iid = mf.ids[rows[row]]
            slo = slo_for(frame, iid, metric)
            verb = "rising" if rate[row] > 0 else "falling"
            span = options.window if path[row] == "window" else timedelta(hours=float(ages[row]))
            summary = (
                f"{label(metric)} {value(metric, current[row])} {verb} "
                f"{abs(rate[row]) * 100:.0f}%/week over the last {format_duration(span)}"
            )
            if np.isfinite(accrued[row]):
                summary += (
                    f" ({'up' if accrued[row] > 0 else 'down'} {abs(accrued[row]) * 100:.0f}% "
                    f"in the last {format_duration(options.accrued_window)} against the 2 weeks before)"
                )
            breach = _breach(
                current[row], slo, test.slope[row], test.slope_lo[row], test.slope_hi[row], sign
            )
            severity = Severity.WARNING
            if breach is not None:
                if breach["days"] == 0:
                    summary += f"; already past the {value(metric, slo)} SLO"
                    severity = Severity.CRITICAL
                else:
                    summary += f"; breaches the {value(metric, slo)} SLO in about {breach['days']:.0f} days"
            findings.append(
                finding(
                    NAME,
                    iid,
                    metric,
                    severity,
                    summary,
                    onset=shape_onset(frame, shapes, at, "ramp")
                    or as_of
                    - timedelta(hours=float(ages[row]) if path[row] == "early" else window),
                    evidence={
                        "current": num(current[row]),
                        "change_per_week": num(rate[row]),
                        "change_per_week_ci": [
                            num(np.expm1(test.slope_lo[row])),
                            num(np.expm1(test.slope_hi[row])),
                        ],
                        "p_value": num(test.p[row], 8),
                        "mann_kendall_s": num(test.s[row], 1),
                        "variance_inflation": num(test.inflation[row], 3),
                        "correction": options.correction if path[row] == "window" else None,
                        "threshold_per_week": num(th.trend_per_week[row]),
                        "window": f"last {format_duration(span)}, "
                        + (
                            f"{width}h medians of the deseasonalised series"
                            if path[row] == "window"
                            else f"{width}h means against the {(frame.hours - early_span) // 24}d before"
                        ),
                        "path": path[row],
                        "ramp_z": num(z[row], 2),
                        "accrued_change": num(accrued[row]),
                        "accrued_window": format_duration(options.accrued_window),
                        "slo": slo,
                        "breach": breach,
                    },
                )
            )
    return findings


def _early(
    y: np.ndarray, slots: np.ndarray, width: int, options: TrendOptions, sign: float
) -> tuple[RampTest, int]:
    """A young ramp: a matched filter over the last week, calibrated on the weeks before it.

    The seasonal profile is fitted on the weeks before the last `early_window`, so a young
    ramp does not leak into its own baseline. Returns the test (in the bad direction) and the
    span it looked at in hours.
    """
    span = max(2 * width, int(options.early_window.total_seconds() // 3600))
    history = y.shape[1] - span
    residual = deseasonalise(y, slots, fit=slice(0, max(history, 0)))
    ages = sorted({*range(24, min(72, span) + 1, 12), *range(72, span + 1, 24)})
    return ramp_test(sign * residual, history, ages, width=width), span


def _as_trend_test(ramp: RampTest, per_week: np.ndarray) -> TrendTest:
    """The ramp filter's result in the trend test's shape (slope per week, 95% interval)."""
    with np.errstate(all="ignore"):
        half = 1.96 * np.abs(per_week) / np.maximum(np.abs(ramp.z), 1e-9)
    nan = np.full_like(per_week, np.nan)
    p = 2 * stats.norm.sf(np.abs(np.nan_to_num(ramp.z)))
    return TrendTest(nan, ramp.z, p, per_week, per_week - half, per_week + half, nan, nan)


def _pick(a: TrendTest, b: TrendTest, use_b: np.ndarray) -> TrendTest:
    """Row-wise choice between two test results."""
    return TrendTest(
        *(np.where(use_b, getattr(b, f), getattr(a, f)) for f in TrendTest.__dataclass_fields__)
    )


def _breach(
    current: float, slo: float | None, slope: float, lo: float, hi: float, sign: float
) -> dict[str, float | None] | None:
    """Days until the SLO line is crossed at the Theil-Sen rate, with its 95% interval."""
    if slo is None or not np.isfinite(current) or current <= 0 or slo <= 0:
        return None
    if sign * (current - slo) >= 0:
        return {"days": 0, "days_low": 0, "days_high": 0}
    gap = math.log(slo / current)  # in log units; same sign as the bad direction

    def days(rate: float) -> float | None:
        return 7 * gap / rate if np.isfinite(rate) and rate * gap > 0 else None

    fast = days(hi if sign > 0 else lo)
    slow = days(lo if sign > 0 else hi)
    mid = days(slope)
    if mid is None:
        return None
    return {
        "days": round(mid, 1),
        "days_low": round(fast, 1) if fast is not None else None,
        "days_high": round(slow, 1) if slow is not None else None,
    }
