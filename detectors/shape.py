"""Step or ramp: which simple model explains a series' recent change, and when it began.

A step (flat, then flat at another level) and a ramp (flat, then rising at a constant rate) are
both fitted to the deseasonalised log level of the last `span` hours, in `width`-hour block
means, for every candidate change point; each model keeps its best point. Both have three
parameters (level, change, point), so the smaller residual sum of squares is the better model.
The engine uses it to tell one story per series (a mature ramp is a trend, not a step, and a
step is not "rising 2906%/week"), and the trend detector uses the ramp's point as its onset.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

from detectors.frame import DetectionFrame
from detectors.stats import (
    block_means,
    clean,
    deseasonalise,
    log_level,
    robust_scale,
    seasonal_slots,
)
from seamwatch.metrics import Metric

Kind = Literal["step", "ramp"]


@dataclass(frozen=True)
class Shapes:
    """Per row: the better model, each model's change point (hour column) and fit."""

    kind: np.ndarray  # "step" | "ramp" | "" (too little data)
    step_at: np.ndarray  # column of the first hour after the step
    ramp_at: np.ndarray  # column of the hour the ramp began
    step_sse: np.ndarray
    ramp_sse: np.ndarray

    def onset(self, row: int) -> int | None:
        """The change point of the better model for one row (None without a fit)."""
        kind = self.kind[row]
        if kind == "step":
            return int(self.step_at[row])
        if kind == "ramp":
            return int(self.ramp_at[row])
        return None


def fit_shapes(residual: np.ndarray, span: int, width: int = 4, clip: float = 4.0) -> Shapes:
    """Fit a step and a ramp to the last `span` columns of each row of `residual`.

    `residual` is (series x hours), deseasonalised log level. Hours are clipped at `clip` robust
    sigmas of the window (a spike must not pick the change point) and averaged into blocks;
    change points are searched at block boundaries, leaving two blocks on each side.
    """
    rows, m = residual.shape
    span = min(span, m) // width * width
    if span < 6 * width:
        empty = np.full(rows, np.nan)
        return Shapes(np.full(rows, "", dtype=object), empty, empty, empty, empty)
    window = residual[:, m - span :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmedian(window, axis=1, keepdims=True)
        scale = np.maximum(robust_scale(window), 1e-3)[:, None]
    window = np.clip(window, centre - clip * scale, centre + clip * scale)
    b = block_means(window, width)
    k = b.shape[1]
    w = np.isfinite(b).astype(float)
    y = np.nan_to_num(b)
    n, sy, syy = w.sum(axis=1), (w * y).sum(axis=1), (w * y * y).sum(axis=1)
    idx = np.arange(k, dtype=float)
    best_step = np.full(rows, np.inf)
    best_ramp = np.full(rows, np.inf)
    step_at = np.full(rows, np.nan)
    ramp_at = np.full(rows, np.nan)
    for c in range(2, k - 1):
        after = (idx >= c).astype(float)[None, :]
        # step: separate means before and after c
        n2, s2 = (w * after).sum(axis=1), (w * y * after).sum(axis=1)
        n1, s1 = n - n2, sy - s2
        with np.errstate(all="ignore"):
            sse = syy - np.where(n1 > 0, s1 * s1 / n1, 0.0) - np.where(n2 > 0, s2 * s2 / n2, 0.0)
        sse = np.where((n1 >= 2) & (n2 >= 2), sse, np.inf)
        better = sse < best_step
        best_step, step_at = np.where(better, sse, best_step), np.where(better, c, step_at)
        # ramp: y = a + s * max(0, i - c) (a hinge), by least squares
        h = np.maximum(0.0, idx - c)[None, :] + 0.5 * after  # the ramp is under way mid-block
        sh, shh, shy = (w * h).sum(axis=1), (w * h * h).sum(axis=1), (w * h * y).sum(axis=1)
        det = n * shh - sh * sh
        with np.errstate(all="ignore"):
            a = (shh * sy - sh * shy) / det
            s = (n * shy - sh * sy) / det
            sse = syy - a * sy - s * shy
        sse = np.where((det > 1e-9) & (n2 >= 2) & (n1 >= 2), sse, np.inf)
        better = sse < best_ramp
        best_ramp, ramp_at = np.where(better, sse, best_ramp), np.where(better, c, ramp_at)
    offset = m - span
    kind = np.where(
        ~np.isfinite(best_step) & ~np.isfinite(best_ramp),
        "",
        np.where(best_ramp < best_step, "ramp", "step"),
    ).astype(object)
    return Shapes(
        kind,
        offset + step_at * width,
        offset + ramp_at * width,
        best_step,
        best_ramp,
    )


SPAN_H = 14 * 24
"""Hours a shape is fitted over: two weeks, with the seasonal profile from the weeks before."""


def metric_shapes(
    frame: DetectionFrame, metric: Metric, span: int = SPAN_H, rows: np.ndarray | None = None
) -> Shapes | None:
    """Step and ramp fits of every series of one metric over the last `span` hours (or None);
    with `rows`, of those rows only (row i of the result is row rows[i] of the metric).

    The seasonal profile is fitted on the hours before the span (at least a week of them), so a
    change inside the span does not leak into its own baseline.
    """
    mf = frame.get(metric)
    if mf is None:
        return None
    span = min(span, frame.hours - 7 * 24)
    if span < 48:
        return None
    level = mf.level if rows is None else mf.level[rows]
    y = log_level(clean(level, metric), metric)
    slots = seasonal_slots(frame.hour_of_week)
    residual = deseasonalise(y, slots, fit=slice(0, frame.hours - span))
    return fit_shapes(residual, span)
