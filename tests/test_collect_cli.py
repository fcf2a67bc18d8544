"""`seamwatch collect --once [--backfill]`, `seamwatch sources`, and the daemon's own metrics."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest

from cli.scheduler import build_scheduler
from seamwatch.config import load_settings
from tests.pinned_clock import PINNED
from tests.servers_prometheus import FLEET_QUERIES, free_port

INVENTORY_PATHS = '[inventory]\npaths = ["inventory/*.toml"]\n[store]\npath = "data/seamwatch.duckdb"\nlock_timeout = "3s"\n'


def config(workspace, body: str, metrics_port: int = 0) -> None:
    workspace.write(
        "config.toml", INVENTORY_PATHS + body + f"\n[scheduler]\nmetrics_port = {metrics_port}\n"
    )


@pytest.mark.server
def test_collect_once_with_backfill_pulls_history_then_runs_a_cycle(
    cli, workspace, prometheus_server
):
    queries = "\n".join(f"{metric} = '{query}'" for metric, query in FLEET_QUERIES.items())
    config(
        workspace,
        f"""
[[sources]]
name = "prom"
kind = "prometheus"
url = "{prometheus_server.url}"
step = "15m"
backfill_chunk = "60d"
[sources.metrics]
{queries}

[[sources]]
name = "ipaas"
kind = "http_json"
url = "http://127.0.0.1:{free_port()}/stats"
metrics = {{ throughput = "rate" }}
""",
    )
    # Collected at PINNED, the day after the fixture's data (two hours up to END): two days of
    # backfill reach it, and the cycle at PINNED finds no series. A run that collects nothing
    # is failed, so with both sources failed the command exits 1.
    result = cli("collect", "--once", "--backfill", "2d", now=PINNED)
    assert result.code == 1, result.out + result.err
    assert "prom: failed, 0 samples" in result.out and "collected no samples" in result.out
    assert "prom: backfilled 2d (2026-11-23 09:00 .. 2026-11-25 09:00 UTC)" in result.out
    assert "ipaas: a http_json source keeps no history; nothing to backfill" in result.out
    assert "ipaas: failed, 0 samples" in result.out and "connection refused" in result.out
    rows = cli(
        "sql",
        "SELECT ts, value FROM samples WHERE integration_id = 'crm-orders-to-erp'"
        " AND metric = 'throughput' ORDER BY ts",
        "--format",
        "json",
    )
    points = json.loads(rows.out)
    assert len(points) == 8  # 10:15 .. 12:00 at 15-minute steps inside the two hours of data
    assert all(p["value"] == pytest.approx(10.0) for p in points)


def test_backfill_duration_is_validated(cli):
    result = cli("collect", "--once", "--backfill", "two weeks")
    assert result.code == 2
    assert result.err.startswith("seamwatch: --backfill: 'two weeks' is not a duration")


def test_sources_shows_last_run_status_failures_and_last_error(cli, workspace, web):
    web.expect_request("/stats").respond_with_json([{"id": "crm-orders-to-erp", "rate": 3}])
    config(
        workspace,
        f"""
[[sources]]
name = "good"
kind = "http_json"
url = "{web.url_for("/stats")}"
metrics = {{ throughput = "rate" }}

[[sources]]
name = "broken"
kind = "http_json"
interval = "5m"
url = "{web.url_for("/missing")}"
metrics = {{ throughput = "rate" }}

[[sources]]
name = "idle"
kind = "http_json"
enabled = false
url = "{web.url_for("/stats")}"
metrics = {{ throughput = "rate" }}
""",
    )
    never = cli("sources")
    assert never.code == 0 and "never" in never.out
    for _ in range(3):
        assert cli("collect", "--once").code == 0
    result = cli("sources", "--format", "json")
    assert result.code == 1  # a configured source's last run failed
    rows = {row["source"]: row for row in json.loads(result.out)}
    assert rows["good"]["status"] == "ok" and rows["good"]["not_ok_24h"] == "0/3"
    assert rows["good"]["samples"] == 1 and rows["good"]["failing_streak"] == 0
    broken = rows["broken"]
    assert broken["interval"] == "5m" and broken["status"] == "failed"
    assert broken["not_ok_24h"] == "3/3" and broken["failing_streak"] == 3
    assert broken["last_error"].startswith("HTTP 500 INTERNAL SERVER ERROR") or broken[
        "last_error"
    ].startswith("HTTP 500 Internal Server Error")
    assert rows["idle"]["configured"] == "disabled" and rows["idle"]["last_run"] == "never"
    table = cli("sources")
    assert "broken" in table.out and "failing_streak" in table.out


def test_daemon_serves_its_own_metrics_and_jobs_are_coalesced(workspace, web):
    web.expect_request("/stats").respond_with_json(
        {"crm-orders-to-erp": {"rate": 2}, "x": {"rate": "?"}}
    )
    port = free_port()
    config(
        workspace,
        f"""
[[sources]]
name = "ipaas"
kind = "http_json"
interval = "1h"
url = "{web.url_for("/stats")}"
metrics = {{ throughput = "rate" }}
""",
        metrics_port=port,
    )
    settings = load_settings(workspace.config)
    scheduler = build_scheduler(settings)
    scheduler.start()
    try:
        job = scheduler.get_job("collect:ipaas")
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == int(settings.scheduler.misfire_grace.total_seconds())
        deadline = time.monotonic() + 20
        text = ""
        while time.monotonic() < deadline:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            if 'seamwatch_collect_runs_total{source="ipaas",status="partial"} 1.0' in text:
                break
            time.sleep(0.2)
        assert 'seamwatch_collect_runs_total{source="ipaas",status="partial"} 1.0' in text
        assert 'seamwatch_collect_failures_total{source="ipaas"} 1.0' in text
        assert 'seamwatch_collect_samples_written_total{source="ipaas"} 1.0' in text
        assert 'seamwatch_collect_duration_seconds_count{source="ipaas"} 1.0' in text
        assert "seamwatch_spool_batches 0.0" in text
        assert 'seamwatch_collect_last_run_timestamp_seconds{source="ipaas"}' in text
        assert 'seamwatch_job_runs_total{job="collect:ipaas",outcome="ok"} 1.0' in text
        assert 'seamwatch_job_last_success_timestamp_seconds{job="collect:ipaas"}' in text
    finally:
        scheduler.shutdown(wait=True)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)


def test_every_job_is_counted_and_detection_reports_the_open_findings(workspace):
    from prometheus_client import generate_latest

    from cli.scheduler import InventoryWatch, _timed
    from detectors.stage import jobs as detection_jobs
    from seamwatch.selfmetrics import SelfMetrics
    from seamwatch.stage import Runtime
    from seamwatch.store import Store

    config(workspace, "")
    settings = load_settings(workspace.config)
    store = Store.from_settings(settings)
    store.migrate()
    metrics = SelfMetrics()
    [detect] = detection_jobs(
        Runtime(settings, store, InventoryWatch(settings, store).get, metrics)
    )
    _timed("detect", detect.func, metrics)()
    with pytest.raises(ZeroDivisionError):
        _timed("broken", lambda: 1 / 0, metrics)()
    text = generate_latest(metrics.registry).decode()
    assert 'seamwatch_job_runs_total{job="detect",outcome="ok"} 1.0' in text
    assert 'seamwatch_job_duration_seconds_count{job="detect"} 1.0' in text
    assert 'seamwatch_job_runs_total{job="broken",outcome="error"} 1.0' in text
    assert 'seamwatch_job_last_success_timestamp_seconds{job="broken"}' not in text
    for severity in ("critical", "warning", "info"):
        assert f'seamwatch_findings_open{{severity="{severity}"}}' in text


def test_metrics_port_in_use_is_a_one_line_error(cli, workspace):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config(workspace, "", metrics_port=port)
        from seamwatch.errors import SeamwatchError

        with pytest.raises(
            SeamwatchError, match=f"cannot serve the daemon's metrics on 127.0.0.1:{port}"
        ):
            build_scheduler(load_settings(workspace.config))


@pytest.mark.pinned_clock  # `sources` counts the last 24 hours by DuckDB's now() (v_sources)
def test_runs_older_than_a_day_do_not_count_in_the_24h_failures(cli, workspace):
    from seamwatch.store import RunRecord, Store

    config(workspace, '[[sources]]\nname = "demo"\nkind = "demo"\n')
    store = Store(workspace.store_path)
    store.migrate()
    old = PINNED - timedelta(days=2)
    store.record_run(RunRecord("r1", "demo", "demo", old, old, 0, "failed", "boom"))
    rows = json.loads(cli("sources", "--format", "json").out)
    assert rows[0]["not_ok_24h"] == "0/0" and rows[0]["failing_streak"] == 1
    assert rows[0]["last_error"] == "boom"
