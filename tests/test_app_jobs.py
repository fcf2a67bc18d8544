"""The Integration page's job runs, through Streamlit's AppTest, on a real store with runs a
job reported at pinned times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seamwatch.inventory import load_inventory
from seamwatch.store import Ping
from tests.app_workspaces import empty_workspace
from tests.test_app_pages import open_page, texts

pytestmark = pytest.mark.pinned_clock

JOB = """
[[integration]]
id = "nightly-export"
name = "Nightly export"
owner = "data"
source_system = "ERP"
target_system = "DWH"
pattern = "batch"
tier = 2
schedule = { cron = "30 2 * * *", timezone = "Europe/Berlin", grace = "30m" }
"""
T0 = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)


def test_integration_page_lists_the_last_runs_with_escaped_log_excerpts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = empty_workspace(tmp_path, migrated=True)
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "jobs.toml").write_text(JOB, encoding="utf-8")
    inventory = load_inventory(["inventory/*.toml"], tmp_path)
    assert not inventory.errors
    store = ws.store
    store.sync_inventory(inventory, T0)
    store.record_ping(Ping("a", T0, "nightly-export", "start"))
    store.record_ping(
        Ping(
            "b",
            T0 + timedelta(minutes=21),
            "nightly-export",
            "success",
            exit_status=0,
            body="exported 120 rows\n",
        )
    )
    day2 = T0 + timedelta(days=1)
    store.record_ping(Ping("c", day2, "nightly-export", "start"))
    store.record_ping(
        Ping(
            "d",
            day2 + timedelta(minutes=3),
            "nightly-export",
            "fail",
            exit_status=3,
            body="<script>alert(1)</script>\n**not bold**\n",
        )
    )
    at = open_page(ws, monkeypatch, "views/integration.py", integration="nightly-export")
    assert "Job runs" in texts(at)
    runs = next(d.value for d in at.dataframe if "log" in d.value.columns)
    assert list(runs["status"]) == ["❌ fail (exit 3)", "✅ success"]
    assert list(runs["duration"]) == ["3 min", "21 min"]
    assert list(runs["log"]) == ["<script>alert(1)</script> | **not bold**", "exported 120 rows"]
    assert str(runs["started_at"].iloc[1]) == "2026-11-20 02:30:00+01:00"  # Europe/Berlin


def test_a_link_that_is_not_a_job_shows_no_runs_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = empty_workspace(tmp_path, migrated=True)
    (tmp_path / "inventory").mkdir()
    (tmp_path / "inventory" / "api.toml").write_text(
        JOB.replace('pattern = "batch"', 'pattern = "sync-api"').replace(
            'schedule = { cron = "30 2 * * *", timezone = "Europe/Berlin", grace = "30m" }', ""
        ),
        encoding="utf-8",
    )
    ws.store.sync_inventory(load_inventory(["inventory/*.toml"], tmp_path), T0)
    at = open_page(ws, monkeypatch, "views/integration.py", integration="nightly-export")
    assert "Job runs" not in texts(at)
