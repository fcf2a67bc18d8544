"""Operating Seamwatch (issue 15): planned and retired integrations are `not live`, not
`unmonitored`; `seamwatch up` checks both ports before seeding and moves the metrics port for a
second instance; the daemon's /metrics carries per-integration health, open findings and the
latest value per metric.

The module runs at the pinned clock (`tests.pinned_clock`): the persisting `detect`, the health
view and `up` read the time in Python and in DuckDB, with no option to be told it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cli.up import metrics_port
from seamwatch.config import Settings, load_settings
from seamwatch.store import Store
from tests.app_workspaces import CONFIG
from tests.conftest import REPO, free_port, run_cli_process, wait_until
from tests.pinned_clock import STAMP

pytestmark = pytest.mark.pinned_clock

WEEK = "2026-W47"
"""Complete at PINNED and wholly in the demo's two weeks up to it."""


@dataclass
class Fleet:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def store(self) -> Store:
        return Store(self.root / "data" / "seamwatch.duckdb")


def make_fleet(root: Path, extra: str = "") -> Fleet:
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(CONFIG + extra, encoding="utf-8")
    shutil.copytree(REPO / "data" / "inventory", root / "inventory")
    return Fleet(root)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """The repo's demo inventory (with a planned and a retired integration), two weeks of demo
    history up to PINNED, and one detection pass at PINNED."""
    ws = make_fleet(tmp_path_factory.mktemp("ops") / "ws")
    demo = run_cli_process("demo", "--weeks", "2", "--anchor", STAMP, "--config", str(ws.config))
    assert demo.returncode == 0, demo.stderr
    detect = run_cli_process("detect", "--config", str(ws.config))
    assert detect.returncode == 0, detect.stderr
    return ws


def test_planned_and_retired_integrations_without_samples_are_not_live(fleet: Fleet) -> None:
    rows = fleet.store.query(
        "SELECT integration_id, lifecycle, health, reason, since FROM v_health"
        " WHERE lifecycle IN ('planned', 'retired') ORDER BY 1"
    )
    by_id = {r.integration_id: r for r in rows.itertuples()}
    assert by_id["returns-portal-api"].health == "not live"
    assert by_id["returns-portal-api"].reason == "planned: not live yet"
    assert by_id["legacy-edi-orders"].health == "not live"
    assert by_id["legacy-edi-orders"].reason == "retired: no longer live"
    assert rows["since"].isna().all()
    assert "unmonitored" not in set(rows["health"])


def test_weekly_review_does_not_show_a_red_data_share_for_integrations_not_live(
    fleet: Fleet,
) -> None:
    out = fleet.root / "review"
    result = run_cli_process(
        "report", "--week", WEEK, "--out", str(out), "--config", str(fleet.config)
    )
    assert result.returncode == 0, result.stderr
    html = (out / f"{WEEK}.html").read_text()
    row = next(line for line in html.splitlines() if "<code>returns-portal-api</code>" in line)
    assert 'title="planned: no data expected">—</td>' in row
    assert "0%" not in row and "worse" not in row
    md = (out / f"{WEEK}.md").read_text()
    md_row = next(line for line in md.splitlines() if "(returns-portal-api)" in line)
    assert "0%" not in md_row


def test_up_moves_the_metrics_port_with_the_dashboard_port_or_turns_it_off() -> None:
    settings = load_settings_text("[app]\nport = 8501\n[scheduler]\nmetrics_port = 9464\n")
    assert metrics_port(settings, None, None) == 9464
    assert metrics_port(settings, 8502, None) == 9465
    assert metrics_port(settings, 8502, 0) == 0
    assert metrics_port(settings, 8502, 9999) == 9999
    off = load_settings_text("[app]\nport = 8501\n[scheduler]\nmetrics_port = 0\n")
    assert metrics_port(off, 8502, None) == 0


def load_settings_text(text: str) -> Settings:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "config.toml"
    path.write_text(text)
    return load_settings(path)


def test_up_with_a_busy_metrics_port_stops_before_seeding_the_demo(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        ws = make_fleet(tmp_path / "ws")
        result = run_cli_process(
            "up", "--port", str(free_port()), "--metrics-port", str(busy),
            "--config", str(ws.config), timeout=60,
        )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"seamwatch: metrics port {busy} on 127.0.0.1 is already in use")
    )
    assert "demo:" not in result.stdout
    assert not ws.store.exists() or ws.store.sample_count() == 0


@pytest.fixture
def second_instance(fleet: Fleet, tmp_path: Path) -> Iterator[tuple[int, int, str]]:
    """`seamwatch up --port P` beside a config whose own ports are one below P and below the
    metrics port M it should move to: (P, M, output once stopped)."""
    port, moved = free_port(), free_port()
    root = tmp_path / "second"
    shutil.copytree(fleet.root, root)
    config = root / "config.toml"
    text = config.read_text()
    assert "metrics_port = 0\n" in text and "[app]\n" in text
    text = text.replace("metrics_port = 0\n", f"metrics_port = {moved - 1}\n")
    config.write_text(text.replace("[app]\n", f'[app]\naddress = "127.0.0.1"\nport = {port - 1}\n'))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--port", str(port), "--config", str(config)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield port, moved, ""
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        family.name: [(s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_a_second_instance_serves_per_integration_health_on_the_moved_metrics_port(
    second_instance: tuple[int, int, str],
) -> None:
    port, moved, _ = second_instance

    def ready() -> bool:
        families = scrape(moved)
        return bool(families.get("seamwatch_integration_health"))

    assert wait_until(ready, 120, every=1), f"no integration health on :{moved}/metrics"
    assert httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).text == "ok"
    families = scrape(moved)
    health = families["seamwatch_integration_health"]
    current = {labels["integration"]: labels for labels, value in health if value == 1}
    assert current["returns-portal-api"]["health"] == "not live"
    assert current["crm-orders-to-erp"]["owner"] == "sales"
    assert current["crm-orders-to-erp"]["tier"] == "1"
    states = [
        labels["health"] for labels, _ in health if labels["integration"] == "crm-orders-to-erp"
    ]
    assert sorted(states) == sorted(
        ["ok", "degrading", "failing", "no data", "unmonitored", "not live"]
    )
    findings = families["seamwatch_integration_findings_open"]
    assert findings and all(value >= 1 for _, value in findings)
    assert {labels["severity"] for labels, _ in findings} <= {"critical", "warning", "info"}
    values = {
        (labels["integration"], labels["metric"]): value
        for labels, value in families["seamwatch_integration_metric_value"]
    }
    assert values[("crm-orders-to-erp", "throughput")] > 0
    stamps = families["seamwatch_integration_metric_timestamp_seconds"]
    assert all(value > 1.7e9 for _, value in stamps)
