"""A real Prometheus for tests: synthetic history written as OpenMetrics, loaded with promtool.

The fixture's numbers are chosen so what a query must return is known exactly: counters grow
linearly (rate = slope), and every histogram puts a fixed share of observations in each bucket
(so any quantile follows from the bucket bounds by linear interpolation).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_binary

END = 1_795_522_200  # 2026-11-24 12:10:00 UTC, a multiple of 60
SPAN = 2 * 3600
STEP = 15

# integration -> jobs per second, failures per second
RATES: dict[str, tuple[float, float]] = {
    "crm-orders-to-erp": (10.0, 0.1),
    "payments-webhook": (2.5, 0.05),
    "partner-feed": (1.0, 0.0),  # in no inventory file
    "idle-link": (0.0, 0.0),  # no traffic: its error ratio is 0/0 = NaN
}
# Cumulative share of observations at or below each bound (seconds); the last is +Inf.
BUCKETS: tuple[tuple[str, float], ...] = (
    ("0.1", 0.5),
    ("0.25", 0.8),
    ("0.5", 0.9),
    ("1", 1.0),
    ("+Inf", 1.0),
)
EXPECTED_MS = {0.5: 100.0, 0.95: 750.0, 0.99: 950.0}  # histogram_quantile over BUCKETS, in ms

FLEET_QUERIES = {
    "throughput": "sum by (integration) (rate(jobs_total[5m]))",
    "error_rate": "sum by (integration) (rate(job_failures_total[5m]))"
    " / sum by (integration) (rate(jobs_total[5m]))",
    "latency_p50_ms": "1000 * histogram_quantile(0.5, sum by (integration, le) (rate(job_duration_seconds_bucket[5m])))",
    "latency_p95_ms": "1000 * histogram_quantile(0.95, sum by (integration, le) (rate(job_duration_seconds_bucket[5m])))",
    "latency_p99_ms": "1000 * histogram_quantile(0.99, sum by (integration, le) (rate(job_duration_seconds_bucket[5m])))",
    "dlq_depth": "sum by (integration) (dlq_messages)",
}


def at(epoch: int) -> datetime:
    """An epoch second as a UTC datetime."""
    return datetime.fromtimestamp(epoch, UTC)


def openmetrics(
    rates: dict[str, tuple[float, float]], start: int, end: int, step: int, *, orphan: bool
) -> str:
    """History of jobs_total, job_failures_total, job_duration_seconds_bucket and dlq_messages
    (the integration's position in `rates` modulo 7) per integration."""
    stamps = range(start, end + 1, step)
    lines = ["# TYPE jobs counter"]
    for name, (rate, _) in rates.items():
        lines += [
            f'jobs_total{{integration="{name}"}} {rate * (t - start):.6f} {t}' for t in stamps
        ]
    if orphan:  # a series a careless query would aggregate without any integration label
        lines += [f'jobs_total{{service="orphan"}} {3.0 * (t - start):.6f} {t}' for t in stamps]
    lines.append("# TYPE job_failures counter")
    for name, (_, fail) in rates.items():
        lines += [
            f'job_failures_total{{integration="{name}"}} {fail * (t - start):.6f} {t}'
            for t in stamps
        ]
    lines.append("# TYPE job_duration_seconds_bucket gauge")
    for name, (rate, _) in rates.items():
        for le, share in BUCKETS:
            lines += [
                f'job_duration_seconds_bucket{{integration="{name}",le="{le}"}} '
                f"{rate * share * (t - start):.6f} {t}"
                for t in stamps
            ]
    lines.append("# TYPE dlq_messages gauge")
    for index, name in enumerate(rates):
        lines += [f'dlq_messages{{integration="{name}"}} {index % 7} {t}' for t in stamps]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@dataclass
class PrometheusServer:
    """A running Prometheus (or a server of its query API) on loopback."""

    url: str
    process: subprocess.Popen[bytes]
    kind: str = "prometheus"  # or "victoria-metrics" (tests/servers_victoriametrics.py)


def start_prometheus(root: Path, data: str, *, ready_timeout: float = 60.0) -> PrometheusServer:
    """Load OpenMetrics text into a TSDB under root with promtool and serve it on a free port."""
    prometheus = require_binary("prometheus")
    promtool = require_binary("promtool")
    root.mkdir(parents=True, exist_ok=True)
    source = root / "data.om"
    source.write_text(data, encoding="utf-8")
    tsdb = root / "tsdb"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    config = root / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n", encoding="utf-8")
    port = free_port()
    log = open(root / "prometheus.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=3650d",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"prometheus exited: {(root / 'prometheus.log').read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return PrometheusServer(url, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("prometheus did not become ready")


def stop(server: PrometheusServer) -> None:
    """Stop the server by its pid and wait for it."""
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def prometheus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A Prometheus holding two hours of the RATES fleet, ending at END."""
    root = tmp_path_factory.mktemp("prometheus")
    server = start_prometheus(root, openmetrics(RATES, END - SPAN, END, STEP, orphan=True))
    yield server
    stop(server)
