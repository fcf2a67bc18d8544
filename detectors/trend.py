"""trend: a sustained monotonic drift, found before week over week crosses its threshold.

The log level is deseasonalised (median per weekday/weekend hour of day), reduced to 4-hour
medians over the last `window`, and tested with Mann-Kendall; the variance is corrected for
autocorrelation (Hamed-Rao) because operational series wander, and an uncorrected test fires on
that wander. The Theil-Sen slope gives the drift as % per week; with an SLO, the projected breach.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime

import numpy as np

from detectors.common import (
    SeriesThresholds,
    label,
    num,
    series_thresholds,
    slo_for,
    value,
    worse_sign,
)
from detectors.frame import DetectionFrame
from detectors.settings import DetectorSettings, TrendOptions
from detectors.stats import (
    TrendTest,
    bucket_median,
    clean,
    deseasonalise,
    log_level,
    mann_kendall,
    nanmedian,
    robust_scale,
    seasonal_slots,
    variance_inflation,
)
from detectors.types import Finding, Severity
from seamwatch.durations import format_duration
from seamwatch.metrics import LATENCY_METRICS, Metric

NAME = "trend"
METRICS = (*LATENCY_METRICS, Metric.THROUGHPUT, Metric.ERROR_RATE)
WEEK_H = 168.0


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for series drifting the bad way, significantly and by a rate that matters."""
    options = settings.trend
    window = int(options.window.total_seconds() // 3600)
    width = max(1, int(options.bucket.total_seconds() // 3600))
    if frame.hours < window or window < 8 * width:
        return []
    slots = seasonal_slots(frame.hour_of_week)
    findings: list[Finding] = []
    for metric in METRICS:
        mf = frame.get(metric)
        if mf is None:
            continue
        x = clean(mf.level, metric)
        residual = deseasonalise(log_level(x, metric), slots)
        buckets = bucket_median(residual[:, -window:], width)
        history = bucket_median(residual[:, :-window], width)
        t = np.arange(buckets.shape[1]) * width / WEEK_H
        test = mann_kendall(buckets, t, correction=options.correction, history=history)
        th = series_thresholds(frame, settings, mf)
        sign = worse_sign(metric)
        fire = (
            (test.n >= 0.6 * buckets.shape[1])
            & (sign * test.slope > 0)
            & (sign * np.expm1(test.slope) >= th.trend_per_week)
            & (test.p < th.alpha)
        )
        path = np.where(fire, "window", "")
        if options.early:
            early, early_test, z = _early(residual, width, options, th, sign)
            late = early & ~fire
            test = _pick(test, early_test, late)
            path = np.where(late, "early", path)
            fire = fire | early
        else:
            z = np.full(len(mf.ids), np.nan)
        rate = np.expm1(test.slope)
        if not fire.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            current = nanmedian(x[:, -24:], axis=1)
        for row in np.flatnonzero(fire):
            iid = mf.ids[row]
            slo = slo_for(frame, iid, metric)
            verb = "rising" if rate[row] > 0 else "falling"
            span = options.window if path[row] == "window" else options.early_window
            summary = (
                f"{label(metric)} {value(metric, current[row])} {verb} "
                f"{abs(rate[row]) * 100:.0f}%/week over the last {format_duration(span)}"
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
                Finding(
                    integration_id=iid,
                    metric=metric.value,
                    detector=NAME,
                    severity=severity,
                    summary=summary,
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
                        "correction": options.correction,
                        "threshold_per_week": num(th.trend_per_week[row]),
                        "window": f"last {format_duration(span)}, "
                        f"{width}h medians of the deseasonalised series",
                        "path": path[row],
                        "recent_z": num(z[row], 2),
                        "slo": slo,
                        "breach": breach,
                    },
                )
            )
    return findings


def _early(
    residual: np.ndarray, width: int, options: TrendOptions, th: SeriesThresholds, sign: float
) -> tuple[np.ndarray, TrendTest, np.ndarray]:
    """A young drift: the recent level well above the weeks before, rising monotonically."""
    recent = max(width, int(options.recent.total_seconds() // 3600))
    span = max(4 * width, int(options.early_window.total_seconds() // 3600))
    base = residual[:, :-recent]
    rec = residual[:, -recent:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = nanmedian(base, axis=1)
        scale = np.maximum(robust_scale(base), 1e-3)
        inflation = variance_inflation(base, 48)
        low, high = (centre - 6 * scale)[:, None], (centre + 6 * scale)[:, None]
        capped = np.clip(rec, low, high)
        n_rec = np.isfinite(rec).sum(axis=1)
        n_base = np.isfinite(base).sum(axis=1)
        se = scale * np.sqrt(inflation * (1 / np.maximum(n_rec, 1) + 1 / np.maximum(n_base, 1)))
        # How far apart the means of `recent`-hour stretches of the history itself lie: this
        # scale carries every memory the noise has up to that length (slow wander, regimes).
        block = np.maximum(robust_scale(_rolling_mean(np.clip(base, low, high), recent)), se)
        z = (np.nanmean(capped, axis=1) - centre) / block
    buckets = bucket_median(residual[:, -span:], width)
    t = np.arange(buckets.shape[1]) * width / WEEK_H
    test = mann_kendall(buckets, t, correction=options.correction)
    early = (
        (n_rec >= recent / 2)
        & (n_base >= 7 * 24)
        & (sign * np.nan_to_num(z) >= options.recent_z)
        & (sign * test.slope > 0)
        & (sign * np.expm1(test.slope) >= th.trend_per_week)
        & (test.p < 0.05)
    )
    return early, test, z


def _rolling_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Means of every `width`-column stretch with at least half its values present (else NaN)."""
    ok = np.isfinite(x)
    sums = np.concatenate(
        [np.zeros((x.shape[0], 1)), np.cumsum(np.where(ok, x, 0.0), axis=1)], axis=1
    )
    counts = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
    n = counts[:, width:] - counts[:, :-width]
    with np.errstate(all="ignore"):
        return np.where(n >= width / 2, (sums[:, width:] - sums[:, :-width]) / n, np.nan)


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
