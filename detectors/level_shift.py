"""level_shift: an abrupt, lasting change of level, with the time it happened.

On the deseasonalised log level, every hour of the last `window` is tried as the change point
(cumulative sums make that one pass per series); the split with the largest standardised jump
in the bad direction wins. It must be large against the robust noise of the weeks before
(scaled for autocorrelation), large enough to matter, at least `min_duration` old and still
there in the latest hours.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from detectors import DETECTORS
from detectors.common import (
    finding,
    iso,
    label,
    num,
    pct,
    prepared,
    series_thresholds,
    slo_for,
    value,
    worse_sign,
)
from detectors.frame import DetectionFrame
from detectors.stats import (
    nanmedian,
    robust_scale,
    variance_inflation,
)
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.metrics import LATENCY_METRICS

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "level_shift"
METRICS = DETECTORS[NAME].metrics
LASTING = 0.75  # share of the hours since the change that must sit beyond half the shift


class LevelShiftOptions(StrictModel):
    """A lasting step in the last `window`, at least `min_duration` old (longer than the usual
    regimes of a few hours), `min_z` robust sigmas."""

    window: Duration = timedelta(days=7)
    min_duration: Duration = timedelta(hours=12)
    min_z: float = Field(default=6.0, gt=0)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for series whose level stepped the bad way and stayed there."""
    options = settings.level_shift
    window = int(options.window.total_seconds() // 3600)
    shortest = max(2, int(options.min_duration.total_seconds() // 3600))
    total = frame.hours
    if total < window + 7 * 24 or shortest >= window:
        return []
    findings: list[Finding] = []
    history_cols = slice(0, total - window)
    for series in prepared(frame, METRICS, fit=history_cols):
        metric, mf, x, r = series.metric, series.mf, series.x, series.residual
        history = r[:, : total - window]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            centre = nanmedian(history, axis=1)
        scale = np.maximum(robust_scale(history), 1e-3)
        capped = np.clip(r, (centre - 8 * scale)[:, None], (centre + 8 * scale)[:, None])
        ok = np.isfinite(capped)
        sums = np.cumsum(np.where(ok, capped, 0.0), axis=1)
        counts = np.cumsum(ok, axis=1)
        splits = np.arange(total - window, total - shortest + 1)
        before_sum, before_n = sums[:, splits - 1], counts[:, splits - 1]
        after_sum = sums[:, -1:] - before_sum
        after_n = counts[:, -1:] - before_n
        sign = worse_sign(metric)
        with np.errstate(all="ignore"):
            jump = after_sum / after_n - before_sum / before_n
            enough = (after_n >= shortest / 2) & (before_n > 24)
            # The autocorrelation correction only ever widens (inflation >= 1), so the score
            # without it bounds the score with it: the correction (an FFT per series) is
            # estimated only for the series that can still reach min_z.
            bound = np.where(
                enough, jump / (scale[:, None] * np.sqrt(1 / after_n + 1 / before_n)), 0.0
            )
        reach = np.flatnonzero(np.max(sign * np.nan_to_num(bound), axis=1) >= options.min_z)
        if reach.size == 0:
            continue
        inflation = np.ones(len(mf.ids))
        inflation[reach] = variance_inflation(history[reach], 24)
        with np.errstate(all="ignore"):
            se = scale[reach, None] * np.sqrt(
                inflation[reach, None] * (1 / after_n[reach] + 1 / before_n[reach])
            )
            score = np.where(enough[reach], jump[reach] / se, 0.0)
        best = np.argmax(sign * np.nan_to_num(score), axis=1)
        z = np.full(len(mf.ids), np.nan)
        z[reach] = score[np.arange(reach.size), best]
        at_split = np.zeros(len(mf.ids), dtype=np.intp)
        at_split[reach] = best
        th = series_thresholds(frame, settings, mf)
        candidates = reach[sign * z[reach] >= options.min_z]
        for row in candidates:
            at = int(splits[at_split[row]])
            before = x[row, max(0, at - 7 * 24) : at]
            after = x[row, at:]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                if metric in LATENCY_METRICS:
                    base, cur = nanmedian(before), nanmedian(after)
                else:
                    base, cur = np.nanmean(before), np.nanmean(after)
                latest = np.nanmean(capped[row, -shortest:]) - centre[row]
                shift = np.nanmean(capped[row, at:]) - centre[row]
            change = cur / base - 1 if base > 0 else np.inf
            shifted = capped[row, at:] - centre[row]
            held = np.mean(sign * shifted[np.isfinite(shifted)] > 0.5 * sign * shift)
            if not (
                sign * change >= th.change[row]
                and sign * (cur - base) >= th.min_delta[row]
                and sign * latest >= 0.5 * sign * shift
                and held >= LASTING
            ):
                continue
            iid = mf.ids[row]
            slo = slo_for(frame, iid, metric)
            breached = slo is not None and sign * (cur - slo) > 0
            when = frame.hour_start(at)
            hours_ago = (as_of - when).total_seconds() / 3600
            verb = "stepped up" if change > 0 else "stepped down"
            summary = (
                f"{label(metric)} {verb} from {value(metric, base)} to {value(metric, cur)} "
                f"({pct(change) if np.isfinite(change) else 'from zero'}) at "
                f"{when:%Y-%m-%d %H:%M} UTC, {hours_ago:.0f} h ago"
                + (f"; above the {value(metric, slo)} SLO" if breached else "")
            )
            findings.append(
                finding(
                    NAME,
                    iid,
                    metric,
                    Severity.CRITICAL if breached else Severity.WARNING,
                    summary,
                    onset=when,
                    evidence={
                        "baseline": num(base, 6),
                        "current": num(cur, 6),
                        "change": num(change),
                        "changed_at": iso(when),
                        "z": num(z[row], 2),
                        "robust_sigma": num(scale[row], 4),
                        "variance_inflation": num(inflation[row], 3),
                        "slo": slo,
                        "window": f"change point searched in the last {window} h",
                    },
                )
            )
    return findings
