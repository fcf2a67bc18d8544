"""The measuring rules of the real-data bench (bench/detection_real.py), as pure functions.

Kept apart so the rules themselves are unit-tested: the quiet-day rule, the alert-episode
count, time to detect, and the two baselines (naive week-over-week ratio, plain Mann-Kendall)
on hourly levels. Hourly arrays are indexed from the window start; NaN is a missing hour.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.stats import norm

QUIET_HOURS = 72  # the recent stretch of the quiet-day rule
QUIET_BEFORE_DAYS = 14  # ... compared with the same hours of day over the 14 days before it
QUIET_FACTOR = 1.10
NAIVE_RATIO = 1.2  # last 24 h against the same 24 h a week before
MK_HOURS = 168  # plain Mann-Kendall on the hourly levels of the last 7 days
MK_ALPHA = 0.05


def hourly_levels(values: np.ndarray, per_hour: int, *, median: bool) -> np.ndarray:
    """Hourly medians (latency) or means (rates) of a regular grid; NaN where an hour is empty."""
    grid = np.asarray(values, dtype=float)
    grid = grid[: grid.size // per_hour * per_hour].reshape(-1, per_hour)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(grid, axis=1) if median else np.nanmean(grid, axis=1)


def _median(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    return float(np.median(finite)) if finite.size else float("nan")


def quiet_day(hourly: np.ndarray, end: int, *, falling_is_bad: bool = False) -> bool:
    """Whether the clean series is quiet at hour `end` (exclusive): the median of the last 72 h
    is below 1.10x the median of the same hours of day over the 14 days before them (above
    1/1.10x for throughput, where a fall is the bad direction). A real rise is not quiet, so an
    alert then is not counted as false on quiet days. 72 h is 3 whole days: the same hours of day
    over the 14 days before are all of those 14 x 24 hours."""
    recent = _median(hourly[max(0, end - QUIET_HOURS) : end])
    lo = end - QUIET_HOURS - QUIET_BEFORE_DAYS * 24
    before = _median(hourly[max(0, lo) : max(0, end - QUIET_HOURS)])
    if not (np.isfinite(recent) and np.isfinite(before)):
        return False
    if before == 0:
        return recent == 0
    if falling_is_bad:
        return recent > before / QUIET_FACTOR
    return recent < QUIET_FACTOR * before


def episodes(flags: Sequence[bool], counted: Sequence[bool] | None = None) -> int:
    """Runs of consecutive alerting days; with `counted`, only runs whose first day is counted
    (a false alarm raised on a quiet day; one carried over from a real rise is not new)."""
    total = 0
    for day, flag in enumerate(flags):
        starts = flag and (day == 0 or not flags[day - 1])
        if starts and (counted is None or counted[day]):
            total += 1
    return total


def time_to_detect(
    flags: Sequence[bool], eval_times: Sequence[float], onset: float, within: float
) -> float | None:
    """Seconds from onset to the first alerting evaluation at most `within` after it, or None."""
    for flag, at in zip(flags, eval_times, strict=True):
        lag = at - onset
        if flag and 0 <= lag <= within:
            return lag
    return None


def naive_alerts(hourly: np.ndarray, end: int, *, median: bool, falling_is_bad: bool) -> np.ndarray:
    """The naive week-over-week ratio, per row of an (series x hours) matrix at hour `end`:
    the last 24 h over the same 24 h a week before (medians for latency, means for rates), beyond
    1.2 (below 1/1.2 where a fall is bad)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        agg = np.nanmedian if median else np.nanmean
        now = agg(hourly[:, end - 24 : end], axis=1)
        before = agg(hourly[:, end - 24 - 168 : end - 168], axis=1)
        ratio = now / before
    ok = np.isfinite(ratio)
    bad = ratio < 1 / NAIVE_RATIO if falling_is_bad else ratio > NAIVE_RATIO
    return ok & bad


def mann_kendall_alerts(
    hourly: np.ndarray, end: int, *, falling_is_bad: bool, alpha: float = MK_ALPHA
) -> np.ndarray:
    """Plain Mann-Kendall per row on the hourly levels of the last 7 days: two-sided p < alpha
    with the bad sign; tie-corrected variance, no autocorrelation correction (the textbook test
    that autocorrelated series fool)."""
    x = hourly[:, max(0, end - MK_HOURS) : end]
    out = np.zeros(x.shape[0], dtype=bool)
    for lo in range(0, x.shape[0], 256):
        chunk = x[lo : lo + 256]
        finite = np.isfinite(chunk)
        diff = chunk[:, None, :] - chunk[:, :, None]  # [k, i, j] = x_j - x_i
        pair = finite[:, None, :] & finite[:, :, None]
        upper = np.triu(np.ones(chunk.shape[1], dtype=bool), k=1)
        s = np.where(pair & upper, np.sign(np.nan_to_num(diff)), 0.0).sum(axis=(1, 2))
        n = finite.sum(axis=1)
        var = n * (n - 1) * (2 * n + 5) / 18.0
        for k in range(chunk.shape[0]):  # tie correction (error rates are often 0)
            _, counts = np.unique(chunk[k][finite[k]], return_counts=True)
            var[k] -= np.sum(counts * (counts - 1) * (2 * counts + 5)) / 18.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            z = np.where(s > 0, s - 1, np.where(s < 0, s + 1, 0)) / np.sqrt(var)
        p = 2 * norm.sf(np.abs(z))
        bad = z < 0 if falling_is_bad else z > 0
        out[lo : lo + 256] = (n >= 24) & np.isfinite(z) & (p < alpha) & bad
    return out
