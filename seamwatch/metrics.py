"""The fixed metric vocabulary every source maps its own names onto."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    """One of the health metrics Seamwatch knows.

    Queues: `backlog` is what waits for a consumer (messages ready, or a consumer group's lag),
    `consumers` how many consumers are attached, `consume_rate` how fast they take messages
    (acks or deliveries per second; offsets committed per second for Kafka). Probes:
    `cert_days_left` until the TLS certificate expires (negative once expired), `cert_valid`
    1 when the certificate verifies, 0 when it does not.
    """

    THROUGHPUT = "throughput"
    ERROR_RATE = "error_rate"
    LATENCY_P50_MS = "latency_p50_ms"
    LATENCY_P95_MS = "latency_p95_ms"
    LATENCY_P99_MS = "latency_p99_ms"
    DLQ_DEPTH = "dlq_depth"
    BACKLOG = "backlog"
    CONSUMERS = "consumers"
    CONSUME_RATE = "consume_rate"
    CERT_DAYS_LEFT = "cert_days_left"
    CERT_VALID = "cert_valid"


@dataclass(frozen=True)
class MetricInfo:
    """How to read and judge one metric."""

    label: str
    unit: str
    higher_is_worse: bool
    lower_bound: float | None = 0.0
    upper_bound: float | None = None


METRIC_INFO: dict[Metric, MetricInfo] = {
    Metric.THROUGHPUT: MetricInfo("throughput", "msg/s", higher_is_worse=False),
    Metric.ERROR_RATE: MetricInfo("error rate", "ratio", higher_is_worse=True, upper_bound=1.0),
    Metric.LATENCY_P50_MS: MetricInfo("p50 latency", "ms", higher_is_worse=True),
    Metric.LATENCY_P95_MS: MetricInfo("p95 latency", "ms", higher_is_worse=True),
    Metric.LATENCY_P99_MS: MetricInfo("p99 latency", "ms", higher_is_worse=True),
    Metric.DLQ_DEPTH: MetricInfo("DLQ depth", "messages", higher_is_worse=True),
    Metric.BACKLOG: MetricInfo("backlog", "messages", higher_is_worse=True),
    Metric.CONSUMERS: MetricInfo("consumers", "consumers", higher_is_worse=False),
    Metric.CONSUME_RATE: MetricInfo("consume rate", "msg/s", higher_is_worse=False),
    Metric.CERT_DAYS_LEFT: MetricInfo(
        "TLS certificate days left", "days", higher_is_worse=False, lower_bound=None
    ),
    Metric.CERT_VALID: MetricInfo(
        "TLS certificate valid", "0/1", higher_is_worse=False, upper_bound=1.0
    ),
}

METRIC_NAMES: tuple[str, ...] = tuple(m.value for m in Metric)
LATENCY_METRICS: tuple[Metric, ...] = (
    Metric.LATENCY_P50_MS,
    Metric.LATENCY_P95_MS,
    Metric.LATENCY_P99_MS,
)


def format_value(metric: Metric | str, value: float | None) -> str:
    """Render a metric value the way a person reads it: "412 ms", "0.40%", "37 msg/s"."""
    if value is None or value != value:
        return "n/a"
    metric = Metric(metric)
    if metric is Metric.ERROR_RATE:
        return f"{value * 100:.2f}%"
    if metric in LATENCY_METRICS:
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if metric in (Metric.DLQ_DEPTH, Metric.BACKLOG):
        return f"{value:,.0f} msg" + ("" if round(value) == 1 else "s")
    if metric is Metric.CONSUMERS:
        return f"{value:,.0f} consumer" + ("" if round(value) == 1 else "s")
    if metric is Metric.CERT_DAYS_LEFT:
        return f"{value:,.1f} days"
    if metric is Metric.CERT_VALID:
        return "valid" if value >= 1 else "invalid"
    return f"{value:,.1f}/s" if value < 100 else f"{value:,.0f}/s"
