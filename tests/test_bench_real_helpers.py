"""The measuring rules of bench/detection_real.py: quiet days, episodes, TTD and the baselines."""

from __future__ import annotations

import numpy as np
import pytest

from bench._realmeasure import (
    episodes,
    hourly_levels,
    mann_kendall_alerts,
    naive_alerts,
    quiet_day,
    time_to_detect,
)


def flat(days: int, level: float = 100.0) -> np.ndarray:
    return np.full(days * 24, level)


def test_quiet_day_compares_last_72h_with_the_14_days_before() -> None:
    hourly = flat(20)
    end = 20 * 24
    assert quiet_day(hourly, end)
    hourly[end - 72 :] = 109.0  # +9%: still quiet
    assert quiet_day(hourly, end)
    hourly[end - 72 :] = 111.0  # +11%: a real rise, not quiet
    assert not quiet_day(hourly, end)
    # the baseline is the 14 days before the last 72 h
    hourly = flat(20)
    hourly[end - 72 - 14 * 24 : end - 72] = 90.0
    assert not quiet_day(hourly, end)  # 100 vs 90: +11%


def test_quiet_day_for_throughput_is_about_a_fall() -> None:
    hourly = flat(20)
    end = 20 * 24
    hourly[end - 72 :] = 80.0
    assert quiet_day(hourly, end)  # a fall is quiet for latency
    assert not quiet_day(hourly, end, falling_is_bad=True)
    hourly[end - 72 :] = 150.0
    assert quiet_day(hourly, end, falling_is_bad=True)


def test_quiet_day_ignores_missing_hours_and_zero_baselines() -> None:
    hourly = flat(20)
    end = 20 * 24
    hourly[end - 40 : end - 20] = np.nan
    assert quiet_day(hourly, end)
    assert not quiet_day(np.full(20 * 24, np.nan), end)
    zeros = np.zeros(20 * 24)
    assert quiet_day(zeros, end)
    zeros[end - 72 :] = 0.01
    assert not quiet_day(zeros, end)


def test_episodes_count_runs_and_quiet_ones_by_their_first_day() -> None:
    fl = [False, True, True, False, True, False, True, True]
    assert episodes(fl) == 3
    quiet = [True, False, True, True, True, True, True, True]
    # the run starting on day 1 began on a noisy day: not a quiet false alarm
    assert episodes(fl, quiet) == 2
    assert episodes([True] * 5) == 1
    assert episodes([]) == 0


def test_time_to_detect_counts_only_alerts_within_the_horizon_after_onset() -> None:
    times = [float(d * 86_400) for d in range(10)]
    onset = 2.5 * 86_400
    assert time_to_detect([True, False, False, True] + [False] * 6, times, onset, 7 * 86_400) == (
        0.5 * 86_400
    )
    late = [False] * 9 + [True]  # 6.5 days after onset
    assert time_to_detect(late, times, onset, 7 * 86_400) == 6.5 * 86_400
    assert time_to_detect(late, times, onset, 6 * 86_400) is None
    before = [True, True, False, False, False, False, False, False, False, False]
    assert time_to_detect(before, times, onset, 7 * 86_400) is None  # alerts before onset
    assert time_to_detect([False] * 10, times, onset, 7 * 86_400) is None


def test_hourly_levels_median_or_mean_with_gaps() -> None:
    values = np.array([1, 2, 100, np.nan, np.nan, np.nan], dtype=float)
    assert hourly_levels(values, 3, median=True)[0] == 2
    assert hourly_levels(values, 3, median=False)[0] == pytest.approx(103 / 3)
    assert np.isnan(hourly_levels(values, 3, median=True)[1])


def test_naive_ratio_against_the_same_24_hours_a_week_before() -> None:
    hourly = np.vstack([flat(14), flat(14), flat(14)])
    end = 14 * 24
    hourly[0, end - 24 :] = 125.0  # +25%: latency alert
    hourly[1, end - 24 :] = 115.0  # +15%: none
    hourly[2, end - 24 :] = 80.0  # -20%: a throughput alert only
    assert naive_alerts(hourly, end, median=True, falling_is_bad=False).tolist() == [
        True,
        False,
        False,
    ]
    assert naive_alerts(hourly, end, median=False, falling_is_bad=True).tolist() == [
        False,
        False,
        True,
    ]


def test_plain_mann_kendall_fires_on_a_trend_in_the_bad_direction_only() -> None:
    rng = np.random.default_rng(3)
    hours = 14 * 24
    noise = rng.normal(0, 1, (3, hours))
    rising = noise[0] + np.linspace(0, 5, hours)
    falling = noise[1] - np.linspace(0, 5, hours)
    hourly = np.vstack([rising, falling, noise[2]]) + 100
    assert mann_kendall_alerts(hourly, hours, falling_is_bad=False).tolist() == [
        True,
        False,
        False,
    ]
    assert mann_kendall_alerts(hourly, hours, falling_is_bad=True).tolist() == [
        False,
        True,
        False,
    ]
    hourly[0, -168:-30] = np.nan  # too few hours left: no verdict
    assert not mann_kendall_alerts(hourly, hours, falling_is_bad=False)[0]


def test_plain_mann_kendall_matches_scipy_on_ties() -> None:
    from scipy.stats import kendalltau

    rng = np.random.default_rng(5)
    x = rng.poisson(1.0, 168).astype(float) + np.arange(168) / 80  # many ties
    tau = kendalltau(np.arange(168), x)
    fired = mann_kendall_alerts(x[None, :], 168, falling_is_bad=False, alpha=0.5)[0]
    assert fired == (tau.pvalue < 0.5 and tau.statistic > 0)
