"""A real VictoriaMetrics for tests, holding the same history as the Prometheus fixture.

VictoriaMetrics is the scale-out store of the test suite: it serves the Prometheus query API
(MetricsQL), so the prometheus source's real-server tests run against both. History goes in
through `/api/v1/import/prometheus` (the text format, timestamps in milliseconds).

Also a tenant gateway: the shape of a multi-tenant front (Mimir/Cortex want `X-Scope-OrgID`,
a VictoriaMetrics cluster serves tenants under `/select/<accountID>/prometheus`). It refuses
requests without the tenant header or outside the tenant's path and forwards the rest, prefix
stripped, to a backend.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_binary
from tests.servers_prometheus import (
    END,
    FLEET_QUERIES,
    RATES,
    SPAN,
    STEP,
    PrometheusServer,
    openmetrics,
    stop,
)


def prometheus_text(data: str) -> str:
    """OpenMetrics lines (timestamps in seconds) as the Prometheus text format (milliseconds)."""
    out = []
    for line in data.splitlines():
        if not line or line.startswith("#"):
            continue
        head, stamp = line.rsplit(" ", 1)
        out.append(f"{head} {int(stamp) * 1000}")
    return "\n".join(out) + "\n"


def start_victoriametrics(
    root: Path, data: str, *, series: int, ready_timeout: float = 60.0
) -> PrometheusServer:
    """Serve a VictoriaMetrics on a free port holding `data` (OpenMetrics text); wait until all
    `series` are queryable."""
    binary = require_binary("victoria-metrics")
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(root / "victoria-metrics.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [
            binary,
            f"-httpListenAddr=127.0.0.1:{port}",
            f"-storageDataPath={root / 'data'}",
            "-retentionPeriod=100y",
            "-search.disableCache",  # the test data is written once, queried at fixed times
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    server = PrometheusServer(url, process, kind="victoria-metrics")
    deadline = time.monotonic() + ready_timeout
    try:
        while not _answers(f"{url}/health"):
            if process.poll() is not None:
                raise RuntimeError(
                    f"victoria-metrics exited: {(root / 'victoria-metrics.log').read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("victoria-metrics did not become ready")
            time.sleep(0.2)
        response = httpx.post(
            f"{url}/api/v1/import/prometheus", content=prometheus_text(data), timeout=60
        )
        response.raise_for_status()
        httpx.get(f"{url}/internal/force_flush", timeout=10)
        while _series(url) < series:
            if time.monotonic() > deadline:
                raise RuntimeError("victoria-metrics did not make the imported data queryable")
            time.sleep(0.2)
    except BaseException:
        stop(server)
        raise
    return server


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _series(url: str) -> int:
    try:
        body = httpx.get(
            f"{url}/api/v1/query",
            params={"query": "count({__name__=~'.+'})", "time": END},
            timeout=5,
        ).json()
        result = body["data"]["result"]
        return int(float(result[0]["value"][1])) if result else 0
    except (httpx.HTTPError, KeyError, ValueError, IndexError):
        return 0


@pytest.fixture(scope="session")
def victoriametrics_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A VictoriaMetrics holding two hours of the RATES fleet, ending at END."""
    root = tmp_path_factory.mktemp("victoriametrics")
    data = openmetrics(RATES, END - SPAN, END, STEP, orphan=True)
    names = {line.split("{", 1)[0] + line.split("{", 1)[1].split("}", 1)[0]
             for line in data.splitlines() if line and not line.startswith("#")}  # fmt: skip
    server = start_victoriametrics(root, data, series=len(names))
    yield server
    stop(server)


@dataclass
class TenantGateway:
    """A running gateway: its URL and what it saw."""

    url: str
    server: ThreadingHTTPServer
    seen: list[tuple[str, str | None]]  # (path, X-Scope-OrgID) of every request


def start_gateway(backend: str, tenant: str, prefix: str) -> TenantGateway:
    """Forward `prefix/...` requests carrying `X-Scope-OrgID: tenant` to `backend/...`."""
    seen: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._forward(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._forward(self.rfile.read(length))

        def _forward(self, body: bytes | None) -> None:
            org = self.headers.get("X-Scope-OrgID")
            seen.append((self.path, org))
            if org != tenant:
                self._reply(401, b"no org id\n")
                return
            if not self.path.startswith(prefix + "/"):
                self._reply(404, b"unsupported path requested\n")
                return
            target = backend + self.path[len(prefix) :]
            headers = {"Content-Type": self.headers.get("Content-Type", "text/plain")}
            response = httpx.request(
                "POST" if body is not None else "GET", target, content=body, headers=headers
            )
            self._reply(response.status_code, response.content, "application/json")

        def _reply(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return TenantGateway(f"http://127.0.0.1:{server.server_address[1]}", server, seen)


__all__ = ["FLEET_QUERIES", "TenantGateway", "start_gateway", "start_victoriametrics"]
