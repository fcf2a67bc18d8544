"""Bad data never raises: all NaN, constant, a single point, gaps, negative values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from detectors.engine import run_detectors
from detectors.frame import DetectionFrame, MetricFrame, SeriesInfo
from detectors.settings import DetectorSettings
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from tests.detector_series import AS_OF, DAY, Fleet, grid, run, seasonal_series

NOW = AS_OF.timestamp()


def test_all_nan_frames_give_no_findings_and_no_errors() -> None:
    hours = 28 * 24
    metrics = {}
    for metric in Metric:
        nan = np.full((3, hours), np.nan)
        metrics[metric] = MetricFrame(
            metric, ["a", "b", "c"], nan, nan, nan, np.zeros((3, hours)), np.full((3, 72), np.nan)
        )
    first_hour = int(NOW) // 3600 - hours
    frame = DetectionFrame(
        AS_OF, first_hour, hours, metrics, [SeriesInfo("a", "throughput", None, None)], Inventory()
    )
    result = run_detectors(frame, DetectorSettings(), AS_OF)
    assert result.errors == {}
    assert result.findings == []


@pytest.mark.parametrize(
    "case",
    [
        "constant",
        "zeros",
        "single point",
        "negative",
        "gappy",
        "huge",
        "two points",
        "short history",
    ],
)
def test_bad_series_never_raise(tmp_path: Path, case: str) -> None:
    ts = grid(28)
    values = seasonal_series(ts, 100, seed=1)
    if case == "constant":
        values = np.full(ts.size, 42.0)
    elif case == "zeros":
        values = np.zeros(ts.size)
    elif case == "single point":
        ts, values = ts[-1:], values[-1:]
    elif case == "negative":
        values = values - 150
    elif case == "gappy":
        keep = (ts // (3 * DAY)) % 2 == 0  # three days on, three days off
        ts, values = ts[keep], values[keep]
    elif case == "huge":
        values = values * 1e300
    elif case == "two points":
        ts, values = ts[[0, -1]], values[[0, -1]]
    elif case == "short history":
        ts, values = ts[-300:], values[-300:]
    fleet = Fleet()
    for metric in Metric:
        fleet.add(
            "odd",
            metric.value,
            ts,
            np.clip(values, None, 1.0)
            if metric is Metric.ERROR_RATE and case != "negative"
            else values,
        )
    result = run(fleet, tmp_path)
    assert result.errors == {}
    # zero days left on a certificate, or a validity of 0, is a real finding, not an oddity
    metric_findings = [f for f in result.findings if f.detector not in ("no_data", "cert_expiry")]
    if case == "constant":  # a queue holding 42 messages for days is stuck: that one is real
        assert [(f.detector, f.evidence["rule"]) for f in metric_findings] == [
            ("dlq_growth", "not draining")
        ]
    elif case in ("zeros", "single point", "two points", "short history"):
        assert metric_findings == []


def test_an_empty_store_evaluates_to_nothing(tmp_path: Path) -> None:
    from detectors.engine import evaluate
    from seamwatch.store import Store

    store = Store(tmp_path / "none.duckdb")
    result = evaluate(store, Inventory(), DetectorSettings(), AS_OF)
    assert result.findings == [] and result.errors == {}
    store.migrate()
    assert (
        evaluate(store, Inventory(), DetectorSettings(), AS_OF + timedelta(hours=1)).findings == []
    )
