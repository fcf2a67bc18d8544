"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a free loopback port."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, require_binary

CONFIG = """
global:
  resolve_timeout: 5m
route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
"""


@dataclass
class Alertmanager:
    url: str
    process: subprocess.Popen

    def alerts(self, **filters: str) -> list[dict]:
        """GET /api/v2/alerts (active, silenced and inhibited)."""
        response = httpx.get(f"{self.url}/api/v2/alerts", params=filters, timeout=5)
        response.raise_for_status()
        return response.json()

    def now(self) -> datetime:
        """The server's clock, to the second (the Date header of its answer).

        Alertmanager judges an alert's startsAt and endsAt by its own clock, which is the real
        one whatever this process reads (libfaketime does not reach a Go binary), so a test
        tells its alerts' times from this, not from the wall clock here.
        """
        response = httpx.get(f"{self.url}/-/ready", timeout=5)
        response.raise_for_status()
        return parsedate_to_datetime(response.headers["Date"])


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    binary = require_binary("prometheus-alertmanager")
    port = free_port()
    config = tmp_path / "am.yml"
    config.write_text(CONFIG)
    log = (tmp_path / "am.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"alertmanager did not start: {(tmp_path / 'am.log').read_text()[-2000:]}")
        time.sleep(0.1)
    try:
        yield Alertmanager(url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
