"""Vectorised robust statistics over many series at once (rows = series, columns = time).

Every function tolerates NaN (missing buckets) and rows with too little data: those get NaN
results, never an exception. Tests used: Mann-Kendall with the Hamed-Rao variance correction for
autocorrelated data, Theil-Sen slopes with Sen's confidence interval, the Wilcoxon signed-rank
test with an effective-sample-size correction.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from seamwatch.metrics import LATENCY_METRICS, Metric

CHUNK = 512  # rows per block in pairwise computations: bounds memory (rows x pairs floats)

Correction = Literal["hamed-rao", "none"]


def chunks(n: int, size: int = CHUNK) -> Iterator[slice]:
    """Row blocks of at most `size`."""
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def nanmedian(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """Median ignoring NaN along one axis; NaN where a slice has no values.

    numpy's nanmedian falls back to a Python loop per row on large arrays; sorting once
    (NaN sorts last) and picking the middle is ~50x faster on (series x hours) matrices.
    """
    moved = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    ordered = np.sort(moved, axis=-1)
    count = np.sum(np.isfinite(ordered), axis=-1)
    lo = np.clip((count - 1) // 2, 0, None)[..., None]
    hi = np.clip(count // 2, 0, max(ordered.shape[-1] - 1, 0))[..., None]
    if ordered.shape[-1] == 0:
        out = np.full(count.shape, np.nan)
    else:
        mid = 0.5 * (np.take_along_axis(ordered, lo, -1) + np.take_along_axis(ordered, hi, -1))
        out = np.where(count > 0, mid[..., 0], np.nan)
    return np.expand_dims(out, axis) if keepdims else out


def clean(values: np.ndarray, metric: Metric) -> np.ndarray:
    """Values a detector may use: finite and within the metric's range (negative is invalid)."""
    out = np.array(values, dtype=float)  # a copy, masked in place (one pass, not three)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(out) | (out < 0)
        if metric is Metric.ERROR_RATE:
            bad |= out > 1
    out[bad] = np.nan
    return out


def log_level(values: np.ndarray, metric: Metric) -> np.ndarray:
    """log(x + c): multiplicative changes become additive; c keeps zeros and quiet hours sane."""
    x = clean(values, metric)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        typical = nanmedian(x, axis=1, keepdims=True)
    typical = np.nan_to_num(typical, nan=0.0)
    if metric in LATENCY_METRICS:
        offset = np.maximum(0.01 * typical, 1e-3)
    elif metric is Metric.ERROR_RATE:
        offset = np.maximum(0.5 * typical, 1e-4)
    elif metric is Metric.THROUGHPUT:
        offset = np.maximum(0.05 * typical, 1e-6)
    else:
        offset = np.maximum(0.1 * typical, 1.0)
    return np.log(x + offset)


def seasonal_slots(hour_of_week: np.ndarray) -> np.ndarray:
    """48 slots: hour of day on weekdays (0..23) and on weekends (24..47)."""
    hour_of_day = hour_of_week % 24
    weekend = hour_of_week >= 120
    return hour_of_day + 24 * weekend


def deseasonalise(y: np.ndarray, slots: np.ndarray, fit: slice | None = None) -> np.ndarray:
    """y minus its per-slot median (estimated on columns `fit`, default all): the residual."""
    fit_cols = np.zeros(y.shape[1], dtype=bool)
    fit_cols[fit if fit is not None else slice(None)] = True
    profile = np.full((y.shape[0], int(slots.max()) + 1 if slots.size else 1), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for slot in np.unique(slots):
            cols = (slots == slot) & fit_cols
            if cols.any():
                profile[:, slot] = nanmedian(y[:, cols], axis=1)
        overall = nanmedian(y[:, fit_cols], axis=1, keepdims=True)
    profile = np.where(np.isfinite(profile), profile, overall)
    return y - profile[:, slots]


def bucket_median(y: np.ndarray, width: int) -> np.ndarray:
    """Medians of consecutive blocks of `width` columns (the last block aligned to the end)."""
    n, m = y.shape
    blocks = m // width
    if blocks == 0:
        return np.full((n, 0), np.nan)
    tail = y[:, m - blocks * width :].reshape(n, blocks, width)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return nanmedian(tail, axis=2)


def robust_scale(y: np.ndarray) -> np.ndarray:
    """1.4826 x median absolute deviation per row (a standard deviation robust to spikes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = nanmedian(y, axis=1, keepdims=True)
        return 1.4826 * nanmedian(np.abs(y - med), axis=1)


def acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation per row for lags 1..max_lag; NaN-tolerant (missing values contribute 0).

    Computed through the FFT (all lags at once), the same sums as the direct definition.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centred = x - np.nanmean(x, axis=1, keepdims=True)
    centred = np.nan_to_num(centred)
    m = x.shape[1]
    lags = min(max_lag, m - 1)
    if lags <= 0:
        return np.zeros((x.shape[0], 0))
    size = 1 << int(np.ceil(np.log2(2 * m)))
    spectrum = np.fft.rfft(centred, n=size, axis=1)
    cov = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=1)[:, : lags + 1]
    denom = cov[:, :1]
    with np.errstate(all="ignore"):
        out = np.where(denom > 1e-12, cov[:, 1:] / denom, 0.0)
    return np.nan_to_num(out)


def variance_inflation(x: np.ndarray, max_lag: int = 24, level: float = 0.05) -> np.ndarray:
    """How much autocorrelation inflates the variance of a mean: 1 + 2 sum (1 - k/n) rho_k.

    Only lags whose autocorrelation is significant at `level` count (as in Hamed-Rao), so white
    noise gets a factor near 1 instead of a noisy estimate.
    """
    n = np.sum(np.isfinite(x), axis=1).astype(float)
    rho = acf(x, max_lag)
    if rho.shape[1] == 0:
        return np.ones(x.shape[0])
    bound = stats.norm.ppf(1 - level / 2) / np.sqrt(np.maximum(n, 1))[:, None]
    rho = np.where(np.abs(rho) > bound, rho, 0.0)
    k = np.arange(1, rho.shape[1] + 1)[None, :]
    factor = 1 + 2 * np.sum(np.clip(1 - k / np.maximum(n, 1)[:, None], 0, None) * rho, axis=1)
    return np.clip(factor, 1.0, np.maximum(n, 1.0))


@dataclass(frozen=True)
class TrendTest:
    """Mann-Kendall and Theil-Sen results per row (slopes per unit of the time axis)."""

    s: np.ndarray
    z: np.ndarray
    p: np.ndarray
    slope: np.ndarray
    slope_lo: np.ndarray
    slope_hi: np.ndarray
    n: np.ndarray
    inflation: np.ndarray


def mann_kendall(
    x: np.ndarray,
    t: np.ndarray,
    *,
    correction: Correction = "hamed-rao",
    level: float = 0.05,
    history: np.ndarray | None = None,
) -> TrendTest:
    """Mann-Kendall trend test per row with Theil-Sen slope and its 95% interval.

    correction="hamed-rao" inflates the variance of S by the autocorrelation of the ranks of
    the detrended series (significant lags only), as in Hamed & Rao (1998); "none" is the plain
    test, which fires on autocorrelated noise. `history` (same rows, earlier buckets of the
    same series) gives the autocorrelation a longer sample to be estimated on: a 10-day window
    alone cannot tell a slow wander from a trend; the larger of the two corrections is used.

    S, its tie-corrected variance and the Theil-Sen slope and interval (Sen 1968, eq. 2.6) are
    those of `scipy.stats.kendalltau` and `scipy.stats.theilslopes` (tests/test_detect_stats_oracle.py);
    z carries the usual continuity correction (S - sign S). The Hamed-Rao factor n/n* is
    deliberately clipped at 1 from below: negative autocorrelation would shrink the variance
    and make the test fire more easily, on a correction estimated from a few dozen buckets; the
    correction only ever widens (a deliberate departure from the paper, which allows n/n* < 1).
    """
    n_rows, m = x.shape
    i, j = np.triu_indices(m, k=1)
    dt = (t[j] - t[i]).astype(float)
    s = np.zeros(n_rows)
    slope = np.full(n_rows, np.nan)
    lo = np.full(n_rows, np.nan)
    hi = np.full(n_rows, np.nan)
    n = np.sum(np.isfinite(x), axis=1).astype(float)
    var0 = n * (n - 1) * (2 * n + 5) / 18.0
    ordered = np.sort(x, axis=1)  # NaN last, and NaN never equals NaN
    for row in np.flatnonzero(np.any(ordered[:, 1:] == ordered[:, :-1], axis=1)):
        _, counts = np.unique(x[row][np.isfinite(x[row])], return_counts=True)
        counts = counts[counts > 1].astype(float)
        var0[row] -= np.sum(counts * (counts - 1) * (2 * counts + 5)) / 18.0
    z975 = stats.norm.ppf(0.975)
    for block in chunks(n_rows, max(1, 2_000_000 // max(len(i), 1))):
        diff = x[block, j] - x[block, i]
        sign = np.sign(np.nan_to_num(diff))
        s[block] = sign.sum(axis=1)
        valid = np.isfinite(diff)
        slopes = np.sort(diff / dt, axis=1)  # NaN sorts last
        count = valid.sum(axis=1)
        c = z975 * np.sqrt(np.maximum(var0[block], 0))
        rows = np.arange(slopes.shape[0])
        has = count > 0
        mid_lo = np.clip((count - 1) // 2, 0, None)
        mid_hi = np.clip(count // 2, 0, None)
        med = 0.5 * (slopes[rows, mid_lo] + slopes[rows, mid_hi])
        k_lo = np.clip(np.round((count - c) / 2).astype(int) - 1, 0, np.maximum(count - 1, 0))
        k_hi = np.clip(np.round((count + c) / 2).astype(int), 0, np.maximum(count - 1, 0))
        slope[block] = np.where(has, med, np.nan)
        lo[block] = np.where(has, slopes[rows, k_lo], np.nan)
        hi[block] = np.where(has, slopes[rows, k_hi], np.nan)

    inflation = np.ones(n_rows)
    if correction == "hamed-rao":
        detrended = x - np.nan_to_num(slope)[:, None] * t[None, :]
        ranks = stats.rankdata(detrended, axis=1, nan_policy="omit")
        rho = acf(ranks, m - 1)
        bound = stats.norm.ppf(1 - level / 2) / np.sqrt(np.maximum(n, 1))[:, None]
        rho = np.where(np.abs(rho) > bound, rho, 0.0)
        k = np.arange(1, rho.shape[1] + 1)[None, :]
        nn = n[:, None]
        weights = np.clip((nn - k) * (nn - k - 1) * (nn - k - 2), 0, None)
        denom = np.maximum(n * (n - 1) * (n - 2), 1.0)
        inflation = np.clip(1 + 2 * np.sum(weights * rho, axis=1) / denom, 1.0, None)
        if history is not None and history.shape[1] >= 2 * m:
            n_hist = np.sum(np.isfinite(history), axis=1).astype(float)
            rho_h = acf(stats.rankdata(history, axis=1, nan_policy="omit"), m - 1)
            bound_h = stats.norm.ppf(1 - level / 2) / np.sqrt(np.maximum(n_hist, 1))[:, None]
            rho_h = np.where(np.abs(rho_h) > bound_h, rho_h, 0.0)
            from_history = 1 + 2 * np.sum(weights * rho_h, axis=1) / denom
            inflation = np.maximum(inflation, np.where(n_hist >= 2 * m * 0.6, from_history, 1.0))
    var = var0 * inflation
    with np.errstate(all="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(var), 0.0)
    z = np.where(n >= 8, z, 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    return TrendTest(s, z, p, slope, lo, hi, n, inflation)


def signed_rank(
    d: np.ndarray, inflation: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Wilcoxon signed-rank test per row (normal approximation): (z, two-sided p).

    `inflation` widens the variance for autocorrelated differences (effective sample size).
    """
    valid = np.isfinite(d) & (d != 0)
    n = valid.sum(axis=1).astype(float)
    magnitude = np.where(valid, np.abs(d), np.nan)
    ranks = stats.rankdata(magnitude, axis=1, nan_policy="omit")
    w_plus = np.nansum(np.where(valid & (d > 0), ranks, 0.0), axis=1)
    mean = n * (n + 1) / 4
    var = n * (n + 1) * (2 * n + 1) / 24
    if inflation is not None:
        var = var * inflation
    with np.errstate(all="ignore"):
        z = np.where(var > 0, (w_plus - mean) / np.sqrt(var), 0.0)
    z = np.where(n >= 10, z, 0.0)
    return z, 2 * stats.norm.sf(np.abs(z))


@dataclass(frozen=True)
class RampTest:
    """The best-matching young ramp per row: its z, its age in hours, its slope per hour."""

    z: np.ndarray
    age: np.ndarray
    slope: np.ndarray


def block_means(x: np.ndarray, width: int) -> np.ndarray:
    """Means of consecutive `width`-column blocks aligned to the end; NaN under half full."""
    n, m = x.shape
    blocks = m // width
    tail = x[:, m - blocks * width :].reshape(n, blocks, width)
    count = np.isfinite(tail).sum(axis=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.where(count >= width / 2, np.nanmean(tail, axis=2), np.nan)


def ramp_test(
    residual: np.ndarray, history: int, ages: list[int], width: int = 4, clip: float = 2.5
) -> RampTest:
    """A matched filter for a ramp that began `age` hours ago, calibrated on the series' own past.

    `residual` is the deseasonalised log level; its first `history` columns are the reference
    (no recent change assumed). Hours are clipped at `clip` robust sigmas (spikes and regimes
    lasting hours weigh no more than a bounded amount), averaged into `width`-hour blocks, and
    the blocks of the last `age` hours weighted by the ramp's own shape (later blocks more).
    The variance of that weighted sum comes from the history's blocks: their spread (root mean
    square) and autocorrelation up to a week, so slow wander and day-long excursions of this
    very series set its bar; the uncertainty of the reference level is added. The largest z
    over the candidate ages wins. White noise gives z ~ N(0, 1) per age.
    """
    rows, m = residual.shape
    history = (min(history, m) // width) * width
    recent = m - history
    if history < 8 * width or not ages:
        return RampTest(*(np.full(rows, np.nan) for _ in range(3)))
    past = residual[:, m - recent - history : m - recent]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = nanmedian(past, axis=1, keepdims=True)
        scale = np.maximum(robust_scale(past), 1e-3)[:, None]
        clipped = np.clip(residual, centre - clip * scale, centre + clip * scale)
        clipped = (
            clipped - np.nanmean(clipped[:, m - recent - history : m - recent], axis=1)[:, None]
        )
        blocks = block_means(clipped, width)
        n_recent = recent // width
        past_blocks = blocks[:, : blocks.shape[1] - n_recent]
        mid = nanmedian(past_blocks, axis=1, keepdims=True)
        spread = 1.4826 * nanmedian(np.abs(past_blocks - mid), axis=1, keepdims=True)
        tamed = np.clip(past_blocks, mid - 4 * spread, mid + 4 * spread)
        sd = np.maximum(np.sqrt(np.nanmean(tamed**2, axis=1)), 1e-3)  # 0.1%: flat series
    n_past = np.isfinite(tamed).sum(axis=1)
    lags = max(1, min(168 // width, past_blocks.shape[1] - 1))
    rho = acf(tamed, lags)
    rho = np.where(np.abs(rho) > 2 / np.sqrt(np.maximum(n_past, 1))[:, None], rho, 0.0)
    inflation = np.clip(1 + 2 * rho.sum(axis=1), 1.0, None)
    best = RampTest(np.full(rows, -np.inf), np.full(rows, np.nan), np.full(rows, np.nan))
    for age in ages:
        n = min(age // width, blocks.shape[1])
        if n < 2:
            continue
        segment = blocks[:, -n:]
        present = np.isfinite(segment)
        w = np.where(present, (np.arange(1, n + 1) - 0.5) / n, 0.0)
        total = np.sum(w * np.nan_to_num(segment), axis=1)
        energy = np.sum(w * w, axis=1)
        var = energy.copy()
        for lag in range(1, min(n, rho.shape[1] + 1)):
            var += 2 * rho[:, lag - 1] * np.sum(w[:, lag:] * w[:, :-lag], axis=1)
        var = np.maximum(var, 0.25 * energy) * sd**2
        var += w.sum(axis=1) ** 2 * sd**2 * inflation / np.maximum(n_past, 1)
        with np.errstate(all="ignore"):
            z = np.where(present.sum(axis=1) >= n / 2, total / np.sqrt(var), -np.inf)
            slope = total / np.maximum(energy, 1e-12) / (n * width)  # end height / age
        better = np.nan_to_num(z, nan=-np.inf) > best.z
        best = RampTest(
            np.where(better, z, best.z),
            np.where(better, n * width, best.age),
            np.where(better, slope, best.slope),
        )
    return RampTest(np.where(np.isfinite(best.z), best.z, np.nan), best.age, best.slope)


def recent_change(x: np.ndarray, recent: int, days: int = 14, *, robust: bool = True) -> np.ndarray:
    """The change that has actually accrued: the level of the last `recent` hours against the
    level of the `days` days before them, as a ratio minus one, per row.

    A level is the median of the hourly values (`robust`, for latency) or their mean (rates
    and counts, where a median of mostly-zero hours says nothing). The baseline spans whole
    days, so every hour of the day weighs the same on both sides. NaN where either side has
    under half its hours; +inf when the baseline is zero and the recent level is not.
    """
    rows, m = x.shape
    if recent < 1 or m < recent + 24 * days:
        return np.full(rows, np.nan)
    now, before = x[:, m - recent :], x[:, m - recent - 24 * days : m - recent]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if robust:
            a, b = nanmedian(now, axis=1), nanmedian(before, axis=1)
        else:
            a, b = np.nanmean(now, axis=1), np.nanmean(before, axis=1)
        ratio = np.where(b > 0, a / b - 1.0, np.where(a > 0, np.inf, 0.0))
    enough = (np.isfinite(now).sum(axis=1) >= recent / 2) & (
        np.isfinite(before).sum(axis=1) >= 12 * days
    )
    return np.where(enough, ratio, np.nan)
