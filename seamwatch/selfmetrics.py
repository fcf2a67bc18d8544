"""The daemon's own Prometheus metrics, so Seamwatch itself can be watched.

`seamwatch run` serves them on `[scheduler] metrics_address:metrics_port` at /metrics (0 turns
it off): collection runs by source and status, failures, durations, samples collected and
written, batches spooled, spool depth, last run and last success per source, and housekeeping
job errors; for every scheduled job (detection, notify, report, rollup, ...) its runs by outcome,
duration and last success; the open findings by severity after each detection; messages sent
and undelivered by each notify cycle. Fed from the scheduler's job wrappers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from seamwatch.errors import SeamwatchError
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)

__all__ = ["CycleLike", "SelfMetrics"]

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
        for severity in ("critical", "warning", "info"):
            self.findings_open.labels(severity).set(by_severity.get(severity, 0))

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
