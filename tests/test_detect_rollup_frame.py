"""The detection frame reads completed hours from hourly rollups: it must see what raw samples say."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from detectors.engine import evaluate, run_detection
from detectors.frame import DetectionFrame, load_frame
from detectors.settings import DetectorSettings
from seamwatch.config import Settings
from seamwatch.inventory import Inventory
from seamwatch.store import Store
from tests.detector_series import AS_OF, Fleet, grid, ramp, seasonal_series

FIELDS = ("level", "mean", "last", "count", "recent")


def mixed_fleet(end=AS_OF) -> Fleet:
    """Latency (median level), throughput and error rate (mean level), a DLQ (last), with gaps,
    spikes and resolutions from 1 minute to 1 hour, up to 25 minutes past the hour."""
    fleet = Fleet()
    end = end + timedelta(minutes=25)
    minute = grid(28, timedelta(minutes=1), end)
    five = grid(28, timedelta(minutes=5), end)
    hourly = grid(28, timedelta(hours=1), end)
    p95 = seasonal_series(minute, 300, seed=1, spikes_per_day=3) * ramp(
        minute, minute[-1] - 5 * 86_400, 0.2
    )
    p95[20_000:23_000] = np.nan  # a gap of two days (dropped on write)
    fleet.add("crm-erp", "latency_p95_ms", minute, p95)
    fleet.add("crm-erp", "throughput", five, seasonal_series(five, 40, seed=2))
    fleet.add("billing", "error_rate", hourly, np.clip(seasonal_series(hourly, 0.01, seed=3), 0, 1))
    fleet.add("billing", "dlq_depth", five, np.floor(np.arange(five.size) / 500.0))
    return fleet


def assert_same_frame(a: DetectionFrame, b: DetectionFrame) -> None:
    assert (a.first_hour, a.hours) == (b.first_hour, b.hours)
    assert set(a.metrics) == set(b.metrics)
    for metric, fa in a.metrics.items():
        fb = b.metrics[metric]
        assert fa.ids == fb.ids
        for name in FIELDS:
            np.testing.assert_allclose(
                getattr(fa, name), getattr(fb, name), rtol=1e-9, equal_nan=True, err_msg=name
            )
    assert {(s.integration_id, s.metric, s.last_ts) for s in a.series} == {
        (s.integration_id, s.metric, s.last_ts) for s in b.series
    }


def test_frame_from_hourly_rollups_equals_frame_from_raw_samples(tmp_path: Path) -> None:
    store = mixed_fleet().store(tmp_path)
    store.rollup()
    assert store.scalar("SELECT count(*) FROM rollup_dirty") == 0
    assert store.scalar("SELECT count(*) FROM rollup_1h WHERE median IS NULL") == 0
    for as_of in (AS_OF, AS_OF + timedelta(minutes=10), AS_OF - timedelta(days=3, minutes=17)):
        rolled = load_frame(store, Inventory(), as_of)
        raw = load_frame(store, Inventory(), as_of, raw_only=True)
        assert_same_frame(rolled, raw)


def test_as_of_inside_an_hour_uses_only_samples_up_to_then(tmp_path: Path) -> None:
    """The hour containing as_of is never read from rollups (they hold the whole hour)."""
    store = mixed_fleet().store(tmp_path)
    store.rollup()
    as_of = AS_OF - timedelta(days=2, minutes=40)  # 20 minutes into an hour
    frame = load_frame(store, Inventory(), as_of)
    newest = {(s.integration_id, s.metric): s.last_ts for s in frame.series}
    assert newest[("crm-erp", "latency_p95_ms")] == as_of
    assert max(newest.values()) <= as_of
    assert frame.hour_start(frame.hours - 1) == as_of.replace(minute=0) - timedelta(hours=1)


def test_hours_written_after_the_last_rollup_come_from_raw_samples(tmp_path: Path) -> None:
    """Late samples mark their range dirty: until the next rollup the frame reads them raw."""
    store = mixed_fleet().store(tmp_path)
    store.rollup()
    late = Fleet()
    ts = grid(0.5, timedelta(minutes=1), AS_OF - timedelta(days=1))
    late.add("late-arrival", "latency_p95_ms", ts, seasonal_series(ts, 80, seed=9))
    store.write_samples(late.frame())
    assert store.scalar("SELECT count(*) FROM rollup_dirty") > 0
    pending = load_frame(store, Inventory(), AS_OF)
    assert_same_frame(pending, load_frame(store, Inventory(), AS_OF, raw_only=True))
    assert any("late-arrival" in mf.ids for mf in pending.metrics.values())
    store.rollup()
    assert_same_frame(load_frame(store, Inventory(), AS_OF), pending)


def test_a_store_rolled_up_before_the_hourly_median_existed_is_recomputed(tmp_path: Path) -> None:
    """Migration 011 marks stored samples dirty, so old rollups without medians are never used."""
    store = mixed_fleet().store(tmp_path)
    store.rollup()
    with store.write() as con:  # as a store rolled up by an older version would look
        con.execute("UPDATE rollup_1h SET median = NULL, last_ts = NULL")
        con.execute("DELETE FROM schema_version WHERE version = 11")
    assert store.migrate() == [11]
    assert_same_frame(
        load_frame(store, Inventory(), AS_OF), load_frame(store, Inventory(), AS_OF, raw_only=True)
    )
    store.rollup()
    assert store.scalar("SELECT count(*) FROM rollup_1h WHERE median IS NULL") == 0


def test_findings_are_the_same_from_rollups_and_from_raw(tmp_path: Path) -> None:
    raw_store = mixed_fleet().store(tmp_path / "raw")
    rolled_store = mixed_fleet().store(tmp_path / "rolled")
    rolled_store.rollup()
    settings = DetectorSettings(disabled=["hygiene"])
    intervals = {"test": timedelta(minutes=1)}
    a = evaluate(raw_store, Inventory(), settings, AS_OF, source_intervals=intervals)
    b = evaluate(rolled_store, Inventory(), settings, AS_OF, source_intervals=intervals)
    assert [(f.key, f.summary) for f in a.findings] == [(f.key, f.summary) for f in b.findings]
    assert any(f.detector in ("trend", "week_over_week") for f in a.findings)


def test_rollup_never_duplicates_an_hour_when_older_data_arrives_late(tmp_path: Path) -> None:
    store = mixed_fleet().store(tmp_path)
    store.rollup()
    late = Fleet()
    ts = grid(0.2, timedelta(minutes=1), AS_OF - timedelta(days=3))
    late.add("crm-erp", "latency_p50_ms", ts, seasonal_series(ts, 50, seed=4))
    store.write_samples(late.frame())
    store.rollup()
    dupes = store.scalar(
        "SELECT count(*) FROM (SELECT bucket, integration_id, metric FROM rollup_1h"
        " GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes == 0


def test_store_without_rollups_still_evaluates(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.duckdb")
    store.migrate()
    assert load_frame(store, Inventory(), AS_OF).metrics == {}


def test_detect_rolls_up_what_was_written_since_the_last_rollup(tmp_path: Path) -> None:
    store = mixed_fleet().store(tmp_path)
    assert store.scalar("SELECT count(*) FROM rollup_dirty") > 0
    result, outcome = run_detection(store, Inventory(), Settings(), now=AS_OF)
    assert store.scalar("SELECT count(*) FROM rollup_dirty") == 0
    assert store.scalar("SELECT count(*) FROM rollup_1h WHERE median IS NULL") == 0
    assert "rollup" in result.seconds and outcome.opened == len(result.findings) > 0
