"""Helpers every detector shares: the prologue (clean, log, deseasonalise the series of the
metrics it reads), the epilogue (one Finding with its onset and JSON-safe evidence), per-series
thresholds, directions and wording. A detector module holds only its own statistics."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detectors.frame import DetectionFrame, MetricFrame
from detectors.shape import Shapes
from detectors.stats import clean, deseasonalise, log_level, seasonal_slots
from detectors.types import Finding, Severity
from seamwatch.metrics import METRIC_INFO, Metric, format_value

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings


@dataclass(frozen=True)
class Series:
    """The series of one metric as a detector reads them (rows: integrations, columns: hours).

    x: the values, cleaned (finite, in the metric's range; NaN elsewhere); y: their log level
    (multiplicative changes become additive); residual: y minus its seasonal profile (hour of
    day, weekdays and weekends apart) fitted on columns `fit` (default all). y and residual are
    computed when first read.
    """

    metric: Metric
    mf: MetricFrame
    x: np.ndarray
    hour_of_week: np.ndarray
    fit: slice | None = None

    def take(self, rows: np.ndarray) -> Series:
        """The same series restricted to `rows` (statistics are per row: a detector may test
        only the rows a cheap necessary condition leaves)."""
        return Series(self.metric, self.mf, self.x[rows], self.hour_of_week, self.fit)

    @cached_property
    def y(self) -> np.ndarray:
        """log(x + c), c following the series' typical level (`stats.log_level`)."""
        return log_level(self.x, self.metric)

    @cached_property
    def residual(self) -> np.ndarray:
        """The deseasonalised log level."""
        return deseasonalise(self.y, seasonal_slots(self.hour_of_week), fit=self.fit)


def prepared(
    frame: DetectionFrame,
    metrics: tuple[Metric | str, ...],
    *,
    values: Literal["level", "mean", "last"] = "level",
    last: int | None = None,
    fit: slice | None = None,
) -> Iterator[Series]:
    """The prologue every metric detector shares, for each metric it reads that has series.

    `values` picks the hourly aggregate (median level, mean, last value); `last` keeps only the
    newest hours (the log offset then follows that span's typical level); `fit` are the columns
    the seasonal profile is estimated on (a detector that searches for a recent change fits on
    the hours before it).
    """
    for name in metrics:
        metric = Metric(name)
        mf = frame.get(metric)
        if mf is None:
            continue
        x = clean(getattr(mf, values), metric)
        if last is not None:
            x = x[:, -last:]
        yield Series(metric, mf, x, frame.hour_of_week[-x.shape[1] :], fit)


def prepared_one(
    frame: DetectionFrame, metric: Metric, *, values: Literal["level", "mean", "last"] = "level"
) -> Series | None:
    """The prologue for a detector that reads one metric; None when it has no series."""
    return next(prepared(frame, (metric,), values=values), None)


def finding(
    detector: str,
    integration_id: str,
    metric: Metric | str,
    severity: Severity,
    summary: str,
    *,
    onset: datetime | None,
    evidence: Mapping[str, Any],
) -> Finding:
    """The epilogue: one Finding, with its onset and its evidence as plain JSON values."""
    return Finding(
        integration_id=integration_id,
        metric=str(Metric(metric).value) if metric else "",
        detector=detector,
        severity=severity,
        summary=summary,
        evidence=jsonable(dict(evidence)),
        onset=onset,
    )


def jsonable(value: Any) -> Any:
    """Evidence as JSON has it: numpy scalars as Python numbers, NaN and infinity as None,
    times as ISO 8601 UTC, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return iso(value)
    return value


@dataclass(frozen=True)
class SeriesThresholds:
    """Thresholds of every row of a MetricFrame, as arrays."""

    change: np.ndarray
    min_delta: np.ndarray
    trend_per_week: np.ndarray
    alpha: np.ndarray

    def take(self, rows: np.ndarray) -> SeriesThresholds:
        """The thresholds of `rows` only."""
        return SeriesThresholds(
            self.change[rows], self.min_delta[rows], self.trend_per_week[rows], self.alpha[rows]
        )


def series_thresholds(
    frame: DetectionFrame, settings: DetectorSettings, mf: MetricFrame
) -> SeriesThresholds:
    """Resolve thresholds per row (integration > tier > metric > defaults)."""
    cache: dict[tuple[int | None, str], tuple[float, float, float, float]] = {}
    rows = []
    for integration_id in mf.ids:
        tier = frame.tier(integration_id)
        key = (tier, integration_id if integration_id in settings.integrations else "")
        if key not in cache:
            t = settings.thresholds(mf.metric, tier, integration_id)
            cache[key] = (
                t.change or 0.0,
                t.min_delta or 0.0,
                t.trend_per_week or 0.0,
                t.alpha or 0.01,
            )
        rows.append(cache[key])
    arr = np.array(rows, dtype=float).reshape(-1, 4)
    return SeriesThresholds(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3])


def worse_sign(metric: Metric) -> float:
    """+1 when a rise is bad (latency, errors, queues), -1 when a fall is (throughput)."""
    return 1.0 if METRIC_INFO[metric].higher_is_worse else -1.0


def label(metric: Metric | str) -> str:
    """The metric as people say it: "p95 latency", "error rate"."""
    return METRIC_INFO[Metric(metric)].label


def pct(change: float) -> str:
    """A relative change as "+23%" / "-41%"."""
    return f"{change * 100:+.0f}%"


def value(metric: Metric | str, x: float | None) -> str:
    """A metric value for a summary (the shared formatter)."""
    return format_value(metric, None if x is None or not np.isfinite(x) else float(x))


def slo_for(frame: DetectionFrame, integration_id: str, metric: Metric) -> float | None:
    """The integration's SLO for this metric, if it has one (latency SLOs are set on p95)."""
    integration = frame.integration(integration_id)
    if integration is None:
        return None
    slo = integration.slo
    return {
        Metric.LATENCY_P95_MS: slo.latency_p95_ms,
        Metric.ERROR_RATE: slo.error_rate,
        Metric.THROUGHPUT: slo.throughput_min,
        Metric.DLQ_DEPTH: slo.dlq_depth_max,
    }.get(metric)


def shape_onset(
    frame: DetectionFrame, shapes: Shapes | None, row: int, kind: str | None = None
) -> datetime | None:
    """When a series' change began by its shape fit: the `kind` model's point, else the better
    model's; None without a fit."""
    if shapes is None:
        return None
    if kind == "step":
        column = shapes.step_at[row]
    elif kind == "ramp":
        column = shapes.ramp_at[row]
    else:
        found = shapes.onset(row)
        column = np.nan if found is None else found
    return frame.hour_start(int(column)) if np.isfinite(column) else None


def iso(ts: datetime) -> str:
    """An evidence timestamp: ISO 8601 UTC."""
    return ts.isoformat().replace("+00:00", "Z")


def num(x: float, digits: int = 4) -> float | None:
    """A JSON-safe rounded float (None for NaN)."""
    return None if x is None or not np.isfinite(x) else float(round(float(x), digits))
