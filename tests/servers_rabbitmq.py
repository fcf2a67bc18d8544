"""A real RabbitMQ with the management plugin, on loopback ports, in a temp directory.

One broker per test session (it takes about six seconds to start). Everything a test needs
goes through the management HTTP API; no AMQP client is required.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_binary

AUTH = ("guest", "guest")


@dataclass
class RabbitServer:
    """A running broker: its management API URL and the process we started."""

    url: str
    process: subprocess.Popen[bytes]
    root: Path
    amqp_port: int = 0

    def api(self, method: str, path: str, json: object | None = None) -> httpx.Response:
        """Call the management API as guest; raise on an error status."""
        response = httpx.request(method, f"{self.url}/api/{path}", json=json, auth=AUTH, timeout=10)
        response.raise_for_status()
        return response

    def dead_letter(self, queue: str, dlq: str, count: int) -> None:
        """Declare `queue` dead-lettering into `dlq` at once (TTL 0) and publish `count` messages."""
        self.api("PUT", f"queues/%2F/{dlq}", {"durable": False})
        self.api(
            "PUT",
            f"queues/%2F/{queue}",
            {
                "durable": False,
                "arguments": {
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": dlq,
                    "x-message-ttl": 0,
                },
            },
        )
        for i in range(count):
            body = {
                "properties": {},
                "routing_key": queue,
                "payload": f"m{i}",
                "payload_encoding": "string",
            }
            assert self.api("POST", "exchanges/%2F/amq.default/publish", body).json()["routed"]

    def wait_for_depth(self, queue: str, depth: int, timeout: float = 30.0) -> None:
        """Wait until the management API reports `depth` messages in `queue` (stats lag ~5 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api("GET", f"queues/%2F/{queue}").json().get("messages") == depth:
                return
            time.sleep(0.5)
        raise AssertionError(f"queue {queue} never reported {depth} messages")


def start_rabbitmq(root: Path, *, ready_timeout: float = 90.0) -> RabbitServer:
    """Start rabbitmq-server in the foreground with every directory under root."""
    server = require_binary("rabbitmq-server")
    root.mkdir(parents=True, exist_ok=True)
    amqp, dist, mgmt = free_port(), free_port(), free_port()
    (root / "mnesia").mkdir(exist_ok=True)
    (root / "log").mkdir(exist_ok=True)
    (root / "enabled_plugins").write_text("[rabbitmq_management].\n")
    (root / "rabbitmq.conf").write_text(
        f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {mgmt}\n"
        "loopback_users = none\ncollect_statistics_interval = 1000\n"
        "management.rates_mode = basic\n"
    )
    shutil.chown(root, "rabbitmq", "rabbitmq")
    for path in root.rglob("*"):
        shutil.chown(path, "rabbitmq", "rabbitmq")
    env = dict(os.environ)
    env.update(
        RABBITMQ_NODENAME=f"seamwatch-test-{amqp}@localhost",
        RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
        RABBITMQ_NODE_PORT=str(amqp),
        RABBITMQ_DIST_PORT=str(dist),
        RABBITMQ_MNESIA_BASE=str(root / "mnesia"),
        RABBITMQ_LOG_BASE=str(root / "log"),
        RABBITMQ_ENABLED_PLUGINS_FILE=str(root / "enabled_plugins"),
        RABBITMQ_FEATURE_FLAGS_FILE=str(root / "feature_flags"),
        RABBITMQ_CONFIG_FILE=str(root / "rabbitmq"),
    )
    log = open(root / "server.out", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [server], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{mgmt}"
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"rabbitmq-server exited: {(root / 'server.out').read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{url}/api/overview", auth=AUTH, timeout=1).status_code == 200:
                return RabbitServer(url, process, root, amqp)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_rabbitmq(RabbitServer(url, process, root))
    raise RuntimeError("rabbitmq-server did not become ready")


def _broker_pids(root: Path) -> list[int]:
    """Pids of the processes running with our own temp dir in their environment.

    The Debian wrapper switches to the `rabbitmq` user in a new session, so the broker is not in
    our process group; its environment names our unique directory, which identifies it.
    """
    marker = f"RABBITMQ_MNESIA_BASE={root / 'mnesia'}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def stop_rabbitmq(server: RabbitServer) -> None:
    """Stop the broker we started, by the pids that carry our temp dir; epmd stays."""
    pids = [*_broker_pids(server.root), server.process.pid]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _broker_pids(server.root):
        time.sleep(0.2)
    for pid in _broker_pids(server.root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitServer]:
    """One broker for the whole test session."""
    # Not under pytest's tmp dir: that is private to root, and the broker runs as `rabbitmq`.
    root = Path(tempfile.mkdtemp(prefix="seamwatch-rabbitmq-"))
    try:
        server = start_rabbitmq(root)
        yield server
        stop_rabbitmq(server)
    finally:
        shutil.rmtree(root, ignore_errors=True)
