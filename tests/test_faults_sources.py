"""Fault suite, sources: endpoints that refuse, hang, answer garbage, a huge body or a body
trickling in. Each costs at most the source's timeout, is recorded as a failure with a
sentence, and never takes the daemon's memory (the answer is cut at max_response_size)."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime

import pytest

from collectors.runner import run_cycle
from tests.collect_helpers import make_source

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MiB = 1 << 20


class RawServer:
    """A loopback TCP server whose every connection is handled by `behave(conn)`; it counts the
    bytes it managed to send."""

    def __init__(self, behave) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.sent = 0
        self.behave = behave
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            self.behave(self, conn)
        except OSError:
            pass
        finally:
            conn.close()

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


def huge(server: RawServer, conn: socket.socket) -> None:
    """A JSON answer of 1 GiB, announced by no Content-Length (chunked would be similar)."""
    server.send(
        conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    )
    server.send(conn, b'{"crm-orders-to-erp": {"rate": 1, "pad": "')
    block = b"x" * MiB
    for _ in range(1024):
        server.send(conn, block)


def trickle(server: RawServer, conn: socket.socket) -> None:
    """Headers at once, then one byte of body every 0.2 s, for a minute."""
    server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
    for _ in range(300):
        server.send(conn, b" ")
        time.sleep(0.2)


def hang(server: RawServer, conn: socket.socket) -> None:
    """Accepts, reads the request, never answers."""
    time.sleep(60)


def garbage(server: RawServer, conn: socket.socket) -> None:
    server.send(conn, b"\x00\xff\x13 not http at all \r\n\r\n" * 50)


def not_json(server: RawServer, conn: socket.socket) -> None:
    body = b"<html>\x00\xfe proxy error</html>"
    server.send(
        conn,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body,
    )


def declared_huge(server: RawServer, conn: socket.socket) -> None:
    server.send(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n")
    server.send(conn, b"{" * 1000)


@pytest.fixture
def serve():
    servers: list[RawServer] = []

    def start(behave) -> RawServer:
        server = RawServer(behave)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def cycle(kind: str, url: str, store, inventory, **keys):
    defaults = {
        "http_json": {"metrics": {"throughput": "rate"}},
        "scrape": {"metrics": {"throughput": "jobs_total"}, "targets": [url]},
        "prometheus": {"metrics": {"throughput": "sum by (integration) (rate(x[5m]))"}},
    }[kind]
    options = {"url": url, **defaults, **keys} if kind != "scrape" else {**defaults, **keys}
    source = make_source(kind, timeout="2s", **options)
    clock = time.perf_counter()
    result = run_cycle(source, store, inventory, T0)
    return result, time.perf_counter() - clock


@pytest.mark.parametrize("kind", ["http_json", "scrape", "prometheus"])
def test_a_huge_answer_is_cut_at_max_response_size(serve, store, inventory, kind):
    server = serve(huge)
    path = "/api/v1/query" if kind == "prometheus" else "/stats"
    url = server.url("/" if kind == "prometheus" else path)
    result, took = cycle(kind, url, store, inventory, max_response_size="4MiB")
    assert result.status == "failed"
    [failure] = result.failures
    assert "answer larger than max_response_size (4 MiB)" in failure.error, failure.error
    assert took < 2.5
    time.sleep(0.2)
    assert server.sent < 64 * MiB  # the reader stopped; the 1 GiB never crossed


@pytest.mark.parametrize("kind", ["http_json", "scrape", "prometheus"])
def test_a_body_trickling_in_costs_at_most_the_timeout(serve, store, inventory, kind):
    server = serve(trickle)
    result, took = cycle(kind, server.url("/x"), store, inventory)
    assert result.status == "failed"
    [failure] = result.failures
    assert "timed out after 2s" in failure.error, failure.error
    assert took < 3.0


def test_a_declared_huge_answer_is_refused_before_reading(serve, store, inventory):
    server = serve(declared_huge)
    result, took = cycle("http_json", server.url("/stats"), store, inventory)
    assert "answer larger than max_response_size (32 MiB)" in result.failures[0].error
    assert took < 1.5


@pytest.mark.parametrize(
    ("behave", "says"),
    [
        (hang, "timed out after 2s"),
        (garbage, "request failed"),
        (not_json, "invalid JSON from GET"),
    ],
)
def test_sources_that_hang_or_answer_garbage_fail_in_a_sentence(
    serve, store, inventory, behave, says
):
    server = serve(behave)
    result, took = cycle("http_json", server.url("/stats"), store, inventory)
    assert result.status == "failed" and took < 3.0
    [failure] = result.failures
    assert says in failure.error and "\n" not in failure.error, failure.error


def test_a_source_that_refuses_fails_and_the_next_source_still_runs(store, inventory, serve):
    from tests.conftest import free_port

    refused, _ = cycle("http_json", f"http://127.0.0.1:{free_port()}/stats", store, inventory)
    assert refused.status == "failed"
    assert "connection refused" in refused.failures[0].error
    runs = store.query("SELECT status FROM v_runs").status.tolist()
    assert runs == ["failed"]


def test_max_response_size_is_validated(cli, workspace):
    workspace.write(
        "config.toml",
        """
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "http://127.0.0.1:9/stats"
        metrics = { throughput = "rate" }
        max_response_size = "lots"
        """,
    )
    result = cli("check")
    assert result.code == 2
    assert "sources[0].max_response_size" in result.out + result.err


def test_http_json_id_listed_twice_is_a_failure_not_a_silent_pick(store, inventory, web):
    web.expect_request("/stats").respond_with_json(
        [
            {"id": "crm-orders-to-erp", "rate": 1},
            {"id": "payments-webhook", "rate": 2},
            {"id": "crm-orders-to-erp", "rate": 9},
        ]
    )
    result, _ = cycle("http_json", web.url_for("/stats"), store, inventory)
    assert result.status == "partial" and result.samples == 1
    [failure] = result.failures
    assert failure.integration == "crm-orders-to-erp"
    assert "is listed 2 times" in failure.error and "items [0], [2]" in failure.error
