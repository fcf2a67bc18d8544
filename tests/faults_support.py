"""Shared pieces of the fault suite: a live counter exporter, a daemon and a lock holder, each a
real process or server on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
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
    "hold_store",
    "release",
    "runs_and_samples",
    "start_daemon",
    "stop",
    "wait_until",
]
