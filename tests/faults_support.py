"""Shared pieces of the fault suite: a live counter exporter, a daemon and a lock holder, each a
real process or server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import REPO, wait_until


class CounterExporter:
    """A /metrics endpoint whose counter rises by 10 per integration at every scrape."""

    def __init__(self) -> None:
        self.count = 0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                exporter.count += 1
                n = exporter.count * 10
                body = (
                    "# TYPE jobs counter\n"
                    f'jobs_total{{integration="crm-orders-to-erp"}} {n}\n'
                    f'jobs_total{{integration="payments-webhook"}} {2 * n}\n'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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


def env() -> dict[str, str]:
    """The environment of a child process running this checkout."""
    result = dict(os.environ)
    result["PYTHONPATH"] = str(REPO)
    return result


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """`seamwatch run` as its own process, logging to a file."""
    handle = open(log, "wb")  # noqa: SIM115 (the child owns it until it exits)
    return subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "--config", str(config)],
        env=env(),
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """Signal a child and wait for it."""
    if process.poll() is None:
        process.send_signal(sig)
    return process.wait(timeout)


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
con.execute("SELECT 1").fetchall()
print("held", flush=True)
if sys.argv[3] == "until-told":
    sys.stdin.readline()
else:
    time.sleep(float(sys.argv[3]))
con.close()
print("released", flush=True)
"""


def hold_store(path: Path, mode: str, seconds: float | None) -> subprocess.Popen[str]:
    """Another process (a notebook, the duckdb CLI) holding the store `rw` or `ro` for a while
    (None: until `release(process)`); returns once it holds the lock."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLDER,
            str(path),
            mode,
            "until-told" if seconds is None else str(seconds),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "held", line
    return process


def release(process: subprocess.Popen[str]) -> int:
    """Tell a holder started with seconds=None to close the store; its exit code."""
    assert process.stdin is not None
    process.stdin.write("release\n")
    process.stdin.flush()
    return process.wait(30)


def runs_and_samples(path: Path) -> tuple[list[tuple], list[tuple]]:
    """(runs, samples) of the store, read in this process once nobody else holds it."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        runs = con.execute(
            "SELECT started_at, samples, status, error FROM runs ORDER BY started_at"
        ).fetchall()
        samples = con.execute(
            "SELECT ts, integration_id, metric, value FROM samples ORDER BY ts, integration_id"
        ).fetchall()
    finally:
        con.close()
    return runs, samples


__all__ = [
    "CounterExporter",
    "MiB",
    "RawServer",
    "declared_huge",
    "garbage",
    "hang",
    "hold_store",
    "huge",
    "not_json",
    "release",
    "runs_and_samples",
    "start_daemon",
    "stop",
    "trickle",
    "wait_until",
]
