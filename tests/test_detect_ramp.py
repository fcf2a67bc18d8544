"""The trend detector's early path: a matched filter for young ramps, calibrated per series."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from detectors.stats import ramp_test

HOURS = 28 * 24
HISTORY = HOURS - 168
AGES = [24, 36, 48, 60, 72, 96, 120, 144, 168]


def ar1(rng: np.random.Generator, rows: int, phi: float, sigma: float) -> np.ndarray:
    """Stationary AR(1) rows with marginal standard deviation sigma."""
    e = rng.normal(0, sigma * np.sqrt(1 - phi**2), (rows, HOURS))
    e[:, 0] = rng.normal(0, sigma, rows)
    return lfilter([1.0], [1.0, -phi], e, axis=1)


def test_z_is_standard_on_white_and_on_autocorrelated_noise() -> None:
    rng = np.random.default_rng(1)
    for phi in (0.0, 0.8, 0.95):
        z = ramp_test(ar1(rng, 600, phi, 0.05), HISTORY, [72]).z
        assert 0.75 < np.nanstd(z) < 1.3, (phi, np.nanstd(z))
        assert abs(np.nanmean(z)) < 0.3, (phi, np.nanmean(z))
        assert np.mean(z >= 4) < 0.01, phi


def test_spikes_and_hour_long_regimes_do_not_make_a_ramp() -> None:
    rng = np.random.default_rng(2)
    x = ar1(rng, 300, 0.6, 0.04)
    for row in range(x.shape[0]):
        for at in rng.integers(0, HOURS - 8, 12):  # regimes of hours, +-20%
            x[row, at : at + rng.integers(1, 8)] += rng.normal(0, 0.2)
        x[row, rng.integers(0, HOURS, 40)] += 1.5  # spikes
    z = ramp_test(x, HISTORY, AGES).z
    assert np.mean(z >= 4) < 0.02


def test_finds_a_20pct_weekly_ramp_three_days_old_with_its_age_and_rate() -> None:
    rng = np.random.default_rng(3)
    x = ar1(rng, 200, 0.5, 0.03)
    age = 72
    x[:, -age:] += np.log(1.2) * np.arange(1, age + 1) / 168
    test = ramp_test(x, HISTORY, AGES)
    assert np.mean(test.z >= 4) > 0.9
    found = test.z >= 4
    assert 36 <= np.median(test.age[found]) <= 120
    per_week = np.expm1(test.slope[found] * 168)
    assert 0.08 < np.median(per_week) < 0.4


def test_gaps_constant_and_empty_rows_never_raise() -> None:
    rng = np.random.default_rng(4)
    x = ar1(rng, 5, 0.5, 0.05)
    x[0] = np.nan
    x[1] = 3.0
    x[2, 100:400] = np.nan
    x[3, -100:] = np.nan
    x[4, ::2] = np.nan
    test = ramp_test(x, HISTORY, AGES)
    assert np.isnan(test.z[0]) and np.isnan(test.z[3])
    assert np.all(np.isfinite(test.z[[1, 2, 4]]))
    short = ramp_test(x[:, :40], 30, AGES)
    assert np.all(np.isnan(short.z))
