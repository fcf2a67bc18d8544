"""The vectorised statistics of detectors/stats.py against scipy (and numpy) as oracles.

Every function runs on many rows at once, NaN-tolerant; each row must agree with what the
reference computes for that row alone. Where Seamwatch departs from the reference on purpose,
the test says so (the Hamed-Rao factor is never below 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from detectors.stats import (
    acf,
    bucket_median,
    mann_kendall,
    nanmedian,
    robust_scale,
    signed_rank,
    variance_inflation,
)

RNG = np.random.default_rng(20261126)


def rows(count: int, n: int, *, drift: float = 0.02, ties: bool = False) -> np.ndarray:
    """Noisy rows with a drift; rounded to produce tied values when `ties`."""
    x = drift * np.arange(n)[None, :] + RNG.normal(0, 0.1, (count, n))
    return np.round(x, 1) if ties else x


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("n", [8, 13, 30, 61])
def test_mann_kendall_s_and_z_are_kendalls_tau_against_time(n: int, ties: bool) -> None:
    x = rows(20, n, ties=ties)
    t = np.arange(n) / 6.0
    result = mann_kendall(x, t, correction="none")
    for row in range(x.shape[0]):
        tau = stats.kendalltau(t, x[row], method="asymptotic")
        counts = np.unique(x[row], return_counts=True)[1]
        pairs = n * (n - 1) / 2
        s = tau.statistic * np.sqrt(pairs * (pairs - np.sum(counts * (counts - 1) / 2)))  # tau-b
        assert result.s[row] == pytest.approx(s, abs=1e-6)
        if s == 0:
            continue
        sd = abs(s) / stats.norm.isf(tau.pvalue / 2)  # scipy's tie-corrected sd of S
        assert result.z[row] == pytest.approx((s - np.sign(s)) / sd, rel=1e-9)  # continuity


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("n", [8, 12, 30, 60])
def test_theil_sen_slope_and_interval_are_scipys_theilslopes(n: int, ties: bool) -> None:
    x = rows(25, n, ties=ties)
    t = np.arange(n) * 4 / 168  # 4-hour buckets, per week (as the trend detector does)
    result = mann_kendall(x, t, correction="none")
    for row in range(x.shape[0]):
        ref = stats.theilslopes(x[row], t, alpha=0.95)
        assert result.slope[row] == pytest.approx(ref.slope, rel=1e-12)
        assert result.slope_lo[row] == pytest.approx(ref.low_slope, rel=1e-12)
        assert result.slope_hi[row] == pytest.approx(ref.high_slope, rel=1e-12)


def test_missing_buckets_are_left_out_as_scipy_would_without_them() -> None:
    x = rows(10, 40)
    x[:, RNG.integers(0, 40, 8)] = np.nan
    t = np.arange(40, dtype=float)
    result = mann_kendall(x, t, correction="none")
    for row in range(x.shape[0]):
        ok = np.isfinite(x[row])
        ref = stats.theilslopes(x[row, ok], t[ok])
        assert result.slope[row] == pytest.approx(ref.slope)
        assert result.n[row] == ok.sum()


def hamed_rao_reference(x: np.ndarray, t: np.ndarray, slope: float, level: float = 0.05) -> float:
    """Hamed & Rao (1998), eq. 15 with significant lags only, written out loop by loop."""
    n = len(x)
    ranks = stats.rankdata(x - slope * t)
    centred = ranks - ranks.mean()
    bound = stats.norm.ppf(1 - level / 2) / np.sqrt(n)
    total = 0.0
    for k in range(1, n):
        rho = np.sum(centred[:-k] * centred[k:]) / np.sum(centred**2)
        if abs(rho) > bound:
            total += (n - k) * (n - k - 1) * (n - k - 2) * rho
    return 1 + 2 * total / (n * (n - 1) * (n - 2))


def test_hamed_rao_factor_follows_the_paper_but_is_never_below_one() -> None:
    """Deliberate: n/n* < 1 (negative autocorrelation) would make the test fire more easily on a
    factor estimated from a few dozen buckets, so it is clipped at 1 (see mann_kendall)."""
    n = 60
    t = np.arange(n, dtype=float)
    ar = np.zeros((12, n))
    noise = RNG.normal(0, 1, (12, n))
    for col in range(1, n):  # AR(1), alternating sign of phi: positive and negative correlation
        phi = np.where(np.arange(12) % 2 == 0, 0.7, -0.7)
        ar[:, col] = phi * ar[:, col - 1] + noise[:, col]
    result = mann_kendall(ar, t, correction="hamed-rao")
    plain = mann_kendall(ar, t, correction="none")
    clipped = 0
    for row in range(ar.shape[0]):
        reference = hamed_rao_reference(ar[row], t, result.slope[row])
        assert result.inflation[row] == pytest.approx(max(reference, 1.0), rel=1e-9)
        assert abs(result.z[row]) <= abs(plain.z[row]) + 1e-12  # it only ever widens
        clipped += reference < 1.0
    assert clipped > 0  # the clip is exercised, not hypothetical


def test_signed_rank_z_and_p_are_scipys_wilcoxon_normal_approximation() -> None:
    d = RNG.normal(0.05, 1, (15, 80))
    d[:, :5] = np.nan  # missing hours are left out
    z, p = signed_rank(d)
    for row in range(d.shape[0]):
        ref = stats.wilcoxon(d[row, 5:], method="approx", correction=False)
        assert p[row] == pytest.approx(ref.pvalue, rel=1e-9)
        assert abs(z[row]) == pytest.approx(abs(ref.zstatistic), rel=1e-9)


def test_robust_scale_is_scipys_normal_scaled_median_absolute_deviation() -> None:
    y = RNG.standard_t(3, (10, 200))
    y[:, ::7] = np.nan
    ref = stats.median_abs_deviation(y, axis=1, scale="normal", nan_policy="omit")
    assert robust_scale(y) == pytest.approx(ref, rel=1e-5)  # 1.4826 vs 1/Phi^-1(3/4)


def test_nanmedian_and_bucket_median_are_numpys() -> None:
    x = RNG.normal(0, 1, (30, 97))
    x[RNG.random(x.shape) < 0.3] = np.nan
    x[3] = np.nan  # a row with nothing
    with pytest.warns(RuntimeWarning):
        ref = np.nanmedian(x, axis=1)
    np.testing.assert_allclose(nanmedian(x, axis=1), ref, equal_nan=True)
    blocks = bucket_median(x, 4)  # 24 blocks aligned to the end; the first column left over
    with pytest.warns(RuntimeWarning):
        ref_blocks = np.nanmedian(x[:, 1:].reshape(30, 24, 4), axis=2)
    np.testing.assert_allclose(blocks, ref_blocks, equal_nan=True)


def test_acf_is_the_direct_sum_and_variance_inflation_counts_significant_lags() -> None:
    x = RNG.normal(0, 1, (5, 120))
    x[:, 1:] += 0.6 * x[:, :-1]
    got = acf(x, 10)
    for row in range(5):
        c = x[row] - x[row].mean()
        direct = [np.sum(c[:-k] * c[k:]) / np.sum(c * c) for k in range(1, 11)]
        np.testing.assert_allclose(got[row], direct, atol=1e-10)
    white = RNG.normal(0, 1, (40, 400))
    assert np.median(variance_inflation(white, 24)) == pytest.approx(1.0, abs=0.15)
    ar = np.zeros((20, 400))
    shocks = RNG.normal(0, 1, ar.shape)
    for col in range(1, 400):
        ar[:, col] = 0.7 * ar[:, col - 1] + shocks[:, col]
    factor = variance_inflation(ar, 24)  # positively correlated: wider (5.7 in theory)
    assert np.all(factor >= 1) and np.median(factor) > 3
