"""Each detector fires on the case built for it and stays silent on clean, seasonal, spiky series."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.settings import DetectorSettings
from tests.detector_series import (
    AS_OF,
    DAY,
    Fleet,
    by_detector,
    grid,
    integration,
    inventory,
    ramp,
    run,
    seasonal_series,
    step,
)

NOW = AS_OF.timestamp()
HOURLY = timedelta(hours=1)


def latency_fleet(seed: int, factor=None, step_size=timedelta(minutes=1), spikes=1.0) -> Fleet:
    ts = grid(28, step_size)
    values = seasonal_series(ts, 400, seed=seed, spikes_per_day=spikes)
    if factor is not None:
        values = values * factor(ts)
    return Fleet().add("api", "latency_p95_ms", ts, values)


def test_week_over_week_flags_a_30pct_latency_rise_with_both_numbers(tmp_path: Path) -> None:
    fleet = latency_fleet(1, lambda ts: step(ts, NOW - 6.5 * DAY, 1.30))
    alone = DetectorSettings(enabled=["week_over_week"])  # with level_shift on, the step is its
    found = by_detector(run(fleet, tmp_path, settings=alone), "week_over_week")
    assert len(found) == 1
    finding = found[0]
    assert finding.summary.startswith("p95 latency up 2") and "week over week" in finding.summary
    assert " ms → " in finding.summary
    assert 0.22 <= finding.evidence["change"] <= 0.38
    assert finding.evidence["p_value"] < 0.01


def test_trend_flags_20pct_weekly_rise_on_seasonal_series_with_slo_breach_date(
    tmp_path: Path,
) -> None:
    fleet = latency_fleet(2, lambda ts: ramp(ts, NOW - 7 * DAY, 0.20))
    inv = inventory(integration("api", slo={"latency_p95_ms": 900}))
    found = by_detector(run(fleet, tmp_path, inv=inv), "trend")
    assert len(found) == 1
    finding = found[0]
    assert "rising" in finding.summary and "%/week" in finding.summary
    assert "breaches the 900 ms SLO in about" in finding.summary
    assert 0.10 <= finding.evidence["change_per_week"] <= 0.30
    assert finding.evidence["breach"]["days"] > 0


def test_trend_works_on_hourly_resolution(tmp_path: Path) -> None:
    fleet = latency_fleet(3, lambda ts: ramp(ts, NOW - 9 * DAY, 0.30), step_size=HOURLY, spikes=0)
    assert by_detector(run(fleet, tmp_path), "trend")


def test_level_shift_reports_error_step_with_its_time(tmp_path: Path) -> None:
    ts = grid(28)
    rng = np.random.default_rng(4)
    rate = 0.002 * step(ts, NOW - 60 * 3600, 7.5)
    errors = rng.binomial(600, rate) / 600
    fleet = Fleet().add("hook", "error_rate", ts, errors)
    found = by_detector(run(fleet, tmp_path), "level_shift")
    assert len(found) == 1
    finding = found[0]
    assert "error rate stepped up from 0.2" in finding.summary
    changed = finding.evidence["changed_at"]
    assert changed.startswith("2026-11-22T2")  # 60 h before Wednesday 09:00


def test_slo_burn_pages_on_a_fast_burn_and_names_the_burn_rate(tmp_path: Path) -> None:
    ts = grid(28)
    rate = np.where(ts >= NOW - 40 * 60, 0.20, 0.0005)
    fleet = (
        Fleet()
        .add("pay", "error_rate", ts, rate)
        .add("pay", "throughput", ts, np.full(ts.size, 50.0))
    )
    inv = inventory(integration("pay", slo={"error_rate": 0.01}))
    found = by_detector(run(fleet, tmp_path, inv=inv), "slo_burn")
    assert len(found) == 1
    assert found[0].severity == "critical"
    assert found[0].evidence["burn_rate"] >= 14.4
    assert "error budget burning" in found[0].summary


def test_slo_burn_is_silent_within_budget(tmp_path: Path) -> None:
    ts = grid(28)
    fleet = Fleet().add("pay", "error_rate", ts, np.full(ts.size, 0.004))
    inv = inventory(integration("pay", slo={"error_rate": 0.01}))
    assert not by_detector(run(fleet, tmp_path, inv=inv), "slo_burn")


def test_throughput_drop_flags_halved_traffic(tmp_path: Path) -> None:
    ts = grid(28)
    values = seasonal_series(ts, 120, seed=5) * step(ts, NOW - 3 * DAY, 0.5)
    fleet = Fleet().add("sync", "throughput", ts, values)
    found = by_detector(run(fleet, tmp_path), "throughput_drop")
    assert len(found) == 1
    assert "throughput down 5" in found[0].summary or "throughput down 4" in found[0].summary


def test_throughput_drop_ignores_a_batch_jobs_idle_hours(tmp_path: Path) -> None:
    ts = grid(28)
    hour = (ts % DAY) / 3600
    values = np.where((hour >= 2) & (hour < 3), 300.0, 0.0)
    fleet = Fleet().add("batch", "throughput", ts, values)
    assert not run(fleet, tmp_path).findings


def test_dlq_growth_flags_a_queue_that_never_drains(tmp_path: Path) -> None:
    ts = grid(28)
    rng = np.random.default_rng(6)
    arrivals = rng.poisson(0.05, ts.size) * (ts >= NOW - 2 * DAY)
    fleet = Fleet().add("events", "dlq_depth", ts, np.cumsum(arrivals).astype(float))
    inv = inventory(integration("events", pattern="event", slo={"dlq_depth_max": 50}))
    found = by_detector(run(fleet, tmp_path, inv=inv), "dlq_growth")
    assert len(found) == 1
    assert "grew from" in found[0].summary and "not draining" in found[0].summary
    assert found[0].severity == "critical"  # ~144 messages, limit 50


def test_dlq_bursts_that_drain_are_not_findings(tmp_path: Path) -> None:
    ts = grid(28)
    depth = np.zeros(ts.size)
    for start in range(0, ts.size, 6 * 60):
        depth[start : start + 90] = 30  # a burst redriven after 1.5 h, every 6 h
    fleet = Fleet().add("events", "dlq_depth", ts, depth)
    assert not run(fleet, tmp_path).findings


def test_no_data_flags_a_stopped_integration_but_not_a_quiet_batch(tmp_path: Path) -> None:
    ts = grid(28)
    stopped = ts[ts < NOW - 3 * 3600]
    hour = (ts % DAY) / 3600
    batch = ts[(hour >= 2) & (hour < 3)]  # reports only while its nightly run lasts
    fleet = (
        Fleet()
        .add("stream", "throughput", stopped, np.full(stopped.size, 10.0))
        .add("nightly", "throughput", batch, np.full(batch.size, 100.0))
    )
    found = by_detector(run(fleet, tmp_path), "no_data")
    assert [f.integration_id for f in found] == ["stream"]
    assert found[0].summary.startswith("no samples for 3h")
    assert "expected every 1m" in found[0].summary


def test_no_data_uses_the_source_interval_from_config(tmp_path: Path) -> None:
    ts = grid(28, HOURLY)
    ts = ts[ts < NOW - 2 * 3600]  # two hours late is fine for an hourly source...
    fleet = Fleet().add("slow", "throughput", ts, np.full(ts.size, 5.0))
    hourly = {"test": HOURLY}
    assert not by_detector(run(fleet, tmp_path / "a", intervals=hourly), "no_data")
    every_minute = {"test": timedelta(minutes=1)}  # ...but not for one that reports every minute
    assert by_detector(run(fleet, tmp_path / "b", intervals=every_minute), "no_data")


def test_hygiene_names_no_owner_overdue_review_sunset_and_uninventoried(tmp_path: Path) -> None:
    ts = grid(28)
    fleet = (
        Fleet()
        .add("old", "throughput", ts, np.full(ts.size, 3.0))
        .add("ghost", "throughput", ts, np.full(ts.size, 1.0))
    )
    inv = inventory(
        integration("old", lifecycle="deprecated", sunset=(AS_OF - timedelta(days=5)).date()),
        integration("orphan", owner=None),
        integration("stale-review", last_review=(AS_OF - timedelta(days=400)).date()),
    )
    found = {(f.integration_id, f.detector): f for f in run(fleet, tmp_path, inv=inv).findings}
    assert set(found) == {
        ("old", "past_sunset"),
        ("orphan", "no_owner"),
        ("stale-review", "review_overdue"),
        ("ghost", "not_inventoried"),
    }
    assert "sunset" in found[("old", "past_sunset")].summary
    assert "still carrying 3.0/s" in found[("old", "past_sunset")].summary
    assert "review overdue by 220 days" in found[("stale-review", "review_overdue")].summary


@pytest.mark.parametrize("step_size", [timedelta(minutes=1), timedelta(minutes=15), HOURLY])
def test_metric_detectors_are_silent_on_clean_seasonal_spiky_series(
    tmp_path: Path, step_size: timedelta
) -> None:
    ts = grid(28, step_size)
    fleet = Fleet()
    for seed in range(6):
        fleet.add(
            f"lat-{seed}",
            "latency_p95_ms",
            ts,
            seasonal_series(ts, 300, seed=seed, spikes_per_day=2),
        )
        fleet.add(
            f"thr-{seed}",
            "throughput",
            ts,
            seasonal_series(ts, 50, seed=100 + seed, daily=0.8, weekend=0.3),
        )
        rng = np.random.default_rng(200 + seed)
        fleet.add(f"err-{seed}", "error_rate", ts, rng.binomial(300, 0.003, ts.size) / 300)
        fleet.add(f"dlq-{seed}", "dlq_depth", ts, rng.poisson(0.3, ts.size).astype(float))
    settings = DetectorSettings(disabled=["hygiene"])
    intervals = {"test": step_size}
    result = run(fleet, tmp_path, settings=settings, intervals=intervals)
    assert result.findings == []
    assert not result.errors


def test_thresholds_resolve_integration_then_tier_then_metric_then_defaults() -> None:
    settings = DetectorSettings.model_validate(
        {
            "metrics": {"latency_p95_ms": {"change": 0.3}},
            "tiers": {"1": {"latency_p95_ms": {"change": 0.15}}},
            "integrations": {"crm": {"latency_p95_ms": {"alpha": 0.001}}},
        }
    )
    assert settings.thresholds("latency_p95_ms", 3, "other").change == 0.3
    assert settings.thresholds("latency_p95_ms", 1, "other").change == 0.15
    crm = settings.thresholds("latency_p95_ms", 1, "crm")
    assert (crm.change, crm.alpha, crm.min_delta) == (0.15, 0.001, 5.0)
    assert settings.thresholds("throughput", 1, "crm").change == 0.30  # built-in default


def test_an_integration_threshold_silences_a_change_below_it(tmp_path: Path) -> None:
    fleet = latency_fleet(1, lambda ts: step(ts, NOW - 6.5 * DAY, 1.30))
    relaxed = DetectorSettings.model_validate(
        {
            "disabled": ["hygiene"],
            "integrations": {"api": {"latency_p95_ms": {"change": 0.5, "trend_per_week": 0.9}}},
        }
    )
    assert by_detector(run(fleet, tmp_path, settings=relaxed), "week_over_week") == []
