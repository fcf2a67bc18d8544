"""Shared fixtures: a temp workspace with a config and inventory, and a CLI runner."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

# Fixtures that start real servers or build stores live in their own modules; registering them
# here makes them available to every test without importing fixture names into test modules.
pytest_plugins = [
    "tests.servers_chat",
    "tests.servers_alertmanager",
    "tests.servers_http",
    "tests.servers_prometheus",
    "tests.servers_victoriametrics",
    "tests.servers_rabbitmq",
    "tests.collect_helpers",
    "tests.reports_fixtures",
    "tests.pinned_clock",
]

REPO = Path(__file__).resolve().parents[1]

INVENTORY = """
[defaults]
owner = "payments"
chat_route = "payments"
review_cadence = "90d"
last_review = 2026-11-01

[[integration]]
id = "crm-orders-to-erp"
name = "CRM orders to ERP"
description = "Orders from the CRM to the ERP."
contacts = ["ops@example.com"]
source_system = "CRM"
target_system = "SAP ERP"
pattern = "sync-api"
tier = 1
runbook = "https://runbooks.example.com/crm-orders"
tags = ["orders"]
slo = { latency_p95_ms = 800, error_rate = 0.01 }
collect = { throughput = "demo", latency_p95_ms = "demo" }

[[integration]]
id = "payments-webhook"
name = "Payments webhook"
source_system = "PSP"
target_system = "Billing"
pattern = "event"
tier = 2
"""

CONFIG = """
[store]
path = "data/seamwatch.duckdb"
lock_timeout = "3s"

[inventory]
paths = ["inventory/*.toml"]

[[sources]]
name = "demo"
kind = "demo"
interval = "60s"
seed = 7

[scheduler]
metrics_port = 0
"""


@dataclass
class Workspace:
    """A temp directory with config.toml, an inventory and a data dir."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def store_path(self) -> Path:
        return self.root / "data" / "seamwatch.duckdb"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path)
    ws.write("config.toml", CONFIG)
    ws.write("inventory/payments.toml", INVENTORY)
    return ws


@dataclass
class Result:
    code: int
    out: str
    err: str


@contextmanager
def pinned_utcnow(now: datetime, *modules: str) -> Iterator[None]:
    """While open, each of these modules (dotted names, e.g. `cli.report`) reads `now` where it
    calls `utcnow()`.

    For a command run in this process that reads the time in Python and has no option to be
    told it (`report`, `silence`, `maintenance list`, `collect`, the daemon's retention job), and
    for the checks that refuse a time in the future (`demo --anchor`, `detect --as-of`). Only
    these modules are pinned: a command that reads DuckDB's now() in the store's views, or code
    elsewhere that reads the clock (the persisting `detect`), is pinned with the `pinned_clock`
    marker instead (tests/pinned_clock.py).
    """
    with pytest.MonkeyPatch.context() as patch:
        for module in modules:
            patch.setattr(f"{module}.utcnow", lambda: now)
        yield


def command_module(name: str) -> str:
    """The module that runs the `seamwatch` command `name`."""
    from cli import COMMANDS

    return next(c.module for c in COMMANDS if c.name == name)


@pytest.fixture
def cli(workspace: Workspace, capsys: pytest.CaptureFixture[str]):
    """Run `seamwatch ARGS --config <workspace>` in-process; returns (code, stdout, stderr).

    With `now=`, the command reads that time instead of the wall clock (`pinned_utcnow`).
    """

    def run(*args: str, now: datetime | None = None) -> Result:
        from cli import main

        capsys.readouterr()
        with pinned_utcnow(now, command_module(args[0])) if now else nullcontext():
            code = main([*args, "--config", str(workspace.config)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_cli_process(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in its own process, as a user would."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; errors count as not yet."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(every)
    return False


def require_binary(name: str) -> str:
    """The path of a server binary a test needs; missing means skip locally, fail under CI."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path:
        return path
    message = f"{name} is not installed (run `make test-servers`)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)
