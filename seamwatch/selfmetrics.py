"""The daemon's own Prometheus metrics, so Seamwatch itself can be watched.

`seamwatch run` serves them on `[scheduler] metrics_address:metrics_port` at /metrics (0 turns
it off): collection runs by source and status, failures, durations, samples collected and
written, batches spooled, spool depth, last run and last success per source, and housekeeping
job errors; for every scheduled job (detection, notify, report, rollup, ...) its runs by outcome,
duration and last success; the open findings by severity after each detection; messages sent
and undelivered by each notify cycle. Fed from the scheduler's job wrappers.

Seamwatch's view of the fleet is served too (`FleetMetrics`), so a Grafana user can chart and
alert on it: per integration its health (one series per health state, 1 for the current one),
its open findings by severity, and the latest value of each metric with its age. It is read from
the store's views after every detection and collection round and kept in memory, so a scrape
never opens the store.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from seamwatch.errors import SeamwatchError
from seamwatch.severity import SEVERITIES
from seamwatch.timeutil import utcnow

if TYPE_CHECKING:
    from seamwatch.store import Store

log = logging.getLogger(__name__)

__all__ = ["CycleLike", "FleetMetrics", "SelfMetrics"]

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class CycleLike(Protocol):
    """What the metrics need from a collection cycle's result (collectors.runner.CycleResult)."""

    source: str
    status: str
    samples: int
    written: int
    spooled: bool
    duration_s: float
    failures: Sequence[object]


class SelfMetrics:
    """A private registry of the daemon's metrics and, once served, its HTTP server."""

    def __init__(self, spool_depth: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.runs = Counter(
            "seamwatch_collect_runs",
            "Collection runs by source and status (ok, partial, failed).",
            ["source", "status"],
            registry=r,
        )
        self.failures = Counter(
            "seamwatch_collect_failures",
            "Integrations, metrics or queries a run could not collect.",
            ["source"],
            registry=r,
        )
        self.duration = Histogram(
            "seamwatch_collect_duration_seconds",
            "Duration of one collection run.",
            ["source"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.samples = Counter(
            "seamwatch_collect_samples", "Samples collected.", ["source"], registry=r
        )
        self.written = Counter(
            "seamwatch_collect_samples_written", "Samples new to the store.", ["source"], registry=r
        )
        self.spooled = Counter(
            "seamwatch_collect_spooled_batches",
            "Batches spooled to disk because the store was locked.",
            ["source"],
            registry=r,
        )
        self.last_run = Gauge(
            "seamwatch_collect_last_run_timestamp_seconds",
            "When the source last ran.",
            ["source"],
            registry=r,
        )
        self.last_success = Gauge(
            "seamwatch_collect_last_success_timestamp_seconds",
            "When the source last ran without any failure.",
            ["source"],
            registry=r,
        )
        self.job_errors = Counter(
            "seamwatch_job_errors", "Scheduled jobs that raised.", ["job"], registry=r
        )
        self.spool_depth = Gauge(
            "seamwatch_spool_batches", "Batches waiting in the spool for the store.", registry=r
        )
        if spool_depth is not None:
            self.spool_depth.set_function(spool_depth)
        self.job_runs = Counter(
            "seamwatch_job_runs",
            "Scheduled job runs by job and outcome (ok, error).",
            ["job", "outcome"],
            registry=r,
        )
        self.job_duration = Histogram(
            "seamwatch_job_duration_seconds",
            "Duration of one scheduled job run.",
            ["job"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.job_last_success = Gauge(
            "seamwatch_job_last_success_timestamp_seconds",
            "When the job last finished without raising.",
            ["job"],
            registry=r,
        )
        self.findings_open = Gauge(
            "seamwatch_findings_open",
            "Open findings after the last detection, by severity.",
            ["severity"],
            registry=r,
        )
        self.messages = Counter(
            "seamwatch_alert_messages",
            "Chat messages finished by notify cycles, by status (sent, undelivered).",
            ["status"],
            registry=r,
        )
        self.fleet = FleetMetrics()
        r.register(self.fleet)
        self._server: WSGIServer | None = None

    def observe(self, result: CycleLike) -> None:
        """Count one finished collection cycle."""
        source = result.source
        self.runs.labels(source, result.status).inc()
        self.failures.labels(source).inc(len(result.failures))
        self.duration.labels(source).observe(result.duration_s)
        self.samples.labels(source).inc(result.samples)
        self.written.labels(source).inc(result.written)
        if result.spooled:
            self.spooled.labels(source).inc()
        now = utcnow().timestamp()
        self.last_run.labels(source).set(now)
        if result.status == "ok":
            self.last_success.labels(source).set(now)

    def job_finished(self, job_id: str, seconds: float, ok: bool) -> None:
        """Count one run of a scheduled job."""
        self.job_runs.labels(job_id, "ok" if ok else "error").inc()
        self.job_duration.labels(job_id).observe(seconds)
        if ok:
            self.job_last_success.labels(job_id).set(utcnow().timestamp())

    def findings(self, by_severity: dict[str, int]) -> None:
        """The open findings after a detection run (every severity, zero when none)."""
        for severity in SEVERITIES:
            self.findings_open.labels(severity.value).set(by_severity.get(severity.value, 0))

    def notified(self, sent: int, undelivered: int) -> None:
        """Messages a notify cycle finished."""
        self.messages.labels("sent").inc(sent)
        self.messages.labels("undelivered").inc(undelivered)

    def job_failed(self, job_id: str) -> None:
        """Count a scheduled job that raised."""
        self.job_errors.labels(job_id).inc()

    def serve(self, port: int, address: str) -> None:
        """Serve /metrics; a port that cannot be bound is a clear error, not a traceback."""
        try:
            self._server, _thread = start_http_server(port, addr=address, registry=self.registry)
        except OSError as exc:
            raise SeamwatchError(
                f"cannot serve the daemon's metrics on {address}:{port}: {exc.strerror or exc}"
                " (set [scheduler] metrics_port to a free port, or 0 to turn it off)"
            ) from None
        log.info("own metrics on http://%s:%d/metrics", address, port)

    def close(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


HEALTH_STATES = ("ok", "degrading", "failing", "no data", "unmonitored", "not live")
"""Every value v_health.health takes; each integration gets one series per state."""

FLEET_SQL = {
    "health": """
        SELECT integration_id, coalesce(owner, '') AS owner,
               coalesce(CAST(CAST(tier AS BIGINT) AS VARCHAR), '') AS tier, health
        FROM v_health ORDER BY integration_id
    """,
    "findings": """
        SELECT integration_id, coalesce(owner, '') AS owner, severity, count(*) AS n
        FROM v_findings WHERE status = 'open' GROUP BY ALL ORDER BY ALL
    """,
    "latest": """
        SELECT integration_id, metric, value, epoch(ts) AS ts
        FROM v_latest WHERE value IS NOT NULL ORDER BY integration_id, metric
    """,
}


@dataclass(frozen=True)
class FleetSnapshot:
    """The rows the fleet metrics are drawn from, as read at one moment."""

    health: list[tuple[str, str, str, str]] = field(default_factory=list)
    findings: list[tuple[str, str, str, int]] = field(default_factory=list)
    latest: list[tuple[str, str, float, float]] = field(default_factory=list)


class FleetMetrics(Collector):
    """Seamwatch's view of every integration as Prometheus metrics, from the last snapshot.

    A custom collector rather than labelled gauges, so an integration that leaves the
    inventory (or a finding that resolves) leaves /metrics at the next refresh.
    """

    def __init__(self) -> None:
        self._snapshot = FleetSnapshot()
        self._lock = threading.Lock()

    def refresh(self, store: Store) -> None:
        """Read the fleet's health, open findings and latest values in one read-only connection."""
        if not store.exists():
            return
        with store.read() as con:
            rows = {name: con.execute(sql).fetchall() for name, sql in FLEET_SQL.items()}
        snapshot = FleetSnapshot(
            health=[tuple(map(str, r)) for r in rows["health"]],  # type: ignore[misc]
            findings=[(str(a), str(b), str(c), int(n)) for a, b, c, n in rows["findings"]],
            latest=[(str(a), str(b), float(v), float(t)) for a, b, v, t in rows["latest"]],
        )
        with self._lock:
            self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        """The families, drawn from the last snapshot (called on every scrape)."""
        with self._lock:
            snap = self._snapshot
        health = GaugeMetricFamily(
            "seamwatch_integration_health",
            "Seamwatch's health of an integration: 1 for its current health, 0 for the others.",
            labels=["integration", "owner", "tier", "health"],
        )
        for integration, owner, tier, current in snap.health:
            for state in HEALTH_STATES:
                health.add_metric([integration, owner, tier, state], 1.0 if state == current else 0)
        findings = GaugeMetricFamily(
            "seamwatch_integration_findings_open",
            "Open findings of an integration, by severity.",
            labels=["integration", "owner", "severity"],
        )
        for integration, owner, severity, n in snap.findings:
            findings.add_metric([integration, owner, severity], n)
        value = GaugeMetricFamily(
            "seamwatch_integration_metric_value",
            "The latest sample Seamwatch holds of an integration's metric (its own units: per "
            "second, ratio 0..1, milliseconds, messages).",
            labels=["integration", "metric"],
        )
        stamp = GaugeMetricFamily(
            "seamwatch_integration_metric_timestamp_seconds",
            "When that latest sample was taken (Unix seconds); old means stale.",
            labels=["integration", "metric"],
        )
        for integration, metric, latest, ts in snap.latest:
            value.add_metric([integration, metric], latest)
            stamp.add_metric([integration, metric], ts)
        yield from (health, findings, value, stamp)
