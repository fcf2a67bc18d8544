"""Expected schedules of batch jobs: missed, late, failed, overrun, unusual duration and runs
outside the schedule, fed by heartbeats or by pulled throughput, through DST nights."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from cli.scheduler import build_scheduler
from detectors.engine import evaluate
from detectors.settings import DetectorSettings
from seamwatch.config import load_settings
from seamwatch.inventory import Integration, Inventory
from seamwatch.schedule import Schedule
from seamwatch.store import Ping, Store
from tests.conftest import CONFIG, INVENTORY, REPO, free_port, run_cli_process, wait_until

JOBS = "jobs"
BERLIN = "Europe/Berlin"


def job(iid: str = "nightly-export", **schedule) -> Integration:
    """A batch integration with a schedule (02:30 Berlin, 30 minutes' grace by default)."""
    return Integration.model_validate(
        {
            "id": iid,
            "name": iid,
            "source_system": "ERP",
            "target_system": "DWH",
            "pattern": "batch",
            "tier": 2,
            "owner": "data",
            "schedule": {"cron": "30 2 * * *", "timezone": BERLIN, "grace": "30m", **schedule},
        }
    )


def inventory_of(*integrations: Integration) -> Inventory:
    inv = Inventory()
    for integration in integrations:
        inv.integrations[integration.id] = integration
    return inv


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "sw.duckdb", lock_timeout=5)
    s.migrate()
    return s


def ran(store: Store, iid: str, start: datetime, minutes: float, status: str = "success", **kw):
    """A run reported by heartbeats: a start ping and an end ping at pinned times."""
    tag = f"{iid}-{start.isoformat()}"
    store.record_ping(Ping(tag + "-s", start, iid, "start"))
    if status != "running":
        end = start + timedelta(minutes=minutes)
        store.record_ping(Ping(tag + "-e", end, iid, status, **kw))


def findings(store: Store, inv: Inventory, as_of: datetime) -> dict[str, object]:
    """The jobs detector's findings as of a pinned time, by detector name."""
    result = evaluate(store, inv, DetectorSettings(enabled=[JOBS]), as_of)
    assert not result.errors, result.errors
    return {f.detector: f for f in result.findings}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def night(start: datetime) -> list[datetime]:
    """Every 10 minutes for 5 hours from `start`: the evaluations of one night."""
    return [start + timedelta(minutes=10 * k) for k in range(31)]


# -- the schedule itself ------------------------------------------------------------------------


def test_spring_forward_0230_berlin_is_due_once_at_0300_local():
    schedule = Schedule(cron="30 2 * * *", timezone=BERLIN)
    due = schedule.expected(utc(2026, 3, 27), utc(2026, 3, 31))
    # 02:30 CET = 01:30 UTC; on 29 March 02:30 does not exist: cron runs it at 03:00 CEST
    assert due == [
        utc(2026, 3, 27, 1, 30),
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 0),
        utc(2026, 3, 30, 0, 30),
    ]


def test_fall_back_0230_berlin_is_due_once_not_twice():
    schedule = Schedule(cron="30 2 * * *", timezone=BERLIN)
    due = schedule.expected(utc(2026, 10, 24), utc(2026, 10, 27))
    assert due == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_an_invalid_cron_or_zone_is_one_line_naming_file_integration_and_value(workspace, cli):
    workspace.write(
        "inventory/jobs.toml",
        """
        [[integration]]
        id = "nightly-export"
        name = "Nightly export"
        source_system = "ERP"
        target_system = "DWH"
        pattern = "batch"
        tier = 2
        schedule = { cron = "61 2 * * *", timezone = "Europe/Berlin" }

        [[integration]]
        id = "partner-drop"
        name = "Partner drop"
        source_system = "SFTP"
        target_system = "DWH"
        pattern = "file"
        tier = 3
        schedule = { cron = "0 6 * * 1-5", timezone = "Europe/Berln", grace = "2h" }

        [[integration]]
        id = "orders-api"
        name = "Orders API"
        source_system = "Shop"
        target_system = "ERP"
        pattern = "sync-api"
        tier = 3
        schedule = { cron = "0 6 * * *" }
        """,
    )
    result = cli("check")
    assert result.code == 2
    lines = [line for line in (result.out + result.err).splitlines() if "jobs.toml" in line]
    path = workspace.root / "inventory" / "jobs.toml"
    assert (
        f"{path}:8: integration[0].schedule: cron of 'nightly-export': '61 2 * * *' is not a "
        "cron expression" in lines[0]
    )
    assert (
        f"{path}:17: integration[1].schedule: timezone of 'partner-drop': 'Europe/Berln' is "
        "not a known time zone" in lines[1]
    )
    assert (
        "integration[2].schedule: 'orders-api' is a sync-api integration; only batch and "
        "file jobs run on a schedule" in lines[2]
    )
    assert len(lines) == 3


# -- heartbeats at pinned times -----------------------------------------------------------------


def test_spring_forward_night_no_false_missed_and_no_late(store):
    """Cron runs the 02:30 job at 03:00 CEST (01:00 UTC) on 29 March 2026."""
    inv = inventory_of(job())
    cron_ran = [utc(2026, 3, 27, 1, 30), utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0)]
    for start in [*cron_ran, utc(2026, 3, 30, 0, 30)]:
        ran(store, "nightly-export", start, 12)
    for t in night(utc(2026, 3, 28, 23, 0)) + night(utc(2026, 3, 29, 23, 0)):
        assert findings(store, inv, t) == {}, t


def test_fall_back_night_one_expectation_no_false_missed(store):
    """02:30 comes twice on 25 October 2026; the job runs at the first (00:30 UTC) only."""
    inv = inventory_of(job())
    for start in [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]:
        ran(store, "nightly-export", start, 12)
    for t in night(utc(2026, 10, 24, 23, 0)) + night(utc(2026, 10, 25, 23, 0)):
        assert findings(store, inv, t) == {}, t


def test_a_missed_night_is_found_at_cron_plus_grace_with_that_onset(store):
    inv = inventory_of(job())
    ran(store, "nightly-export", utc(2026, 3, 28, 1, 30), 12)  # 29 March: nothing
    assert findings(store, inv, utc(2026, 3, 29, 1, 29)) == {}  # 03:00 CEST + 29 min
    found = findings(store, inv, utc(2026, 3, 29, 1, 30))
    assert set(found) == {"job_missed"}
    missed = found["job_missed"]
    assert missed.severity == "critical"
    assert missed.onset == utc(2026, 3, 29, 1, 30)  # 03:00 CEST + 30 minutes' grace
    assert missed.summary == (
        "missed run: due Sun 2026-03-29 03:00 CEST (01:00 UTC), nothing by Sun 2026-03-29 "
        "03:30 CEST (01:30 UTC); last run Sat 2026-03-28 02:30 CET (01:30 UTC)"
    )
    # a second night without a run: still one finding, counting both
    again = findings(store, inv, utc(2026, 3, 30, 2, 0))["job_missed"]
    assert again.evidence["missed_in_a_row"] == 2 and "(2 missed in a row)" in again.summary


def test_late_failed_overrun_duration_and_off_schedule_from_heartbeats(store):
    inv = inventory_of(job(max_duration="1h"))
    nights = [utc(2026, 11, d, 1, 30) for d in range(2, 14)]  # 02:30 CET
    for start in nights:
        ran(store, "nightly-export", start, 20 + start.day % 3)  # 20-22 minutes
    # 14 Nov: started 70 minutes late, took 20 minutes
    ran(store, "nightly-export", utc(2026, 11, 14, 2, 40), 20)
    late = findings(store, inv, utc(2026, 11, 14, 3, 30))
    assert set(late) == {"job_late"}
    assert late["job_late"].onset == utc(2026, 11, 14, 2, 0)
    assert "1h10m late (grace 30m)" in late["job_late"].summary

    # 15 Nov: on time but failed with exit status 3 and a log tail
    ran(
        store,
        "nightly-export",
        utc(2026, 11, 15, 1, 31),
        5,
        "fail",
        exit_status=3,
        body="loading 120 rows\nERROR: <target> refused the file\n",
    )
    failed = findings(store, inv, utc(2026, 11, 15, 2, 0))
    assert set(failed) == {"job_failed"}
    assert failed["job_failed"].onset == utc(2026, 11, 15, 1, 36)
    assert failed["job_failed"].summary.endswith(
        "exit status 3: loading 120 rows | ERROR: <target> refused the file"
    )

    # a manual re-run the same morning succeeds: outside the schedule, the failure clears
    ran(store, "nightly-export", utc(2026, 11, 15, 8, 0), 21)
    rerun = findings(store, inv, utc(2026, 11, 15, 8, 30))
    assert set(rerun) == {"job_off_schedule"}
    assert rerun["job_off_schedule"].onset == utc(2026, 11, 15, 8, 0)

    # 16 Nov: still running 75 minutes after its start (at most 1h)
    ran(store, "nightly-export", utc(2026, 11, 16, 1, 30), 0, "running")
    overrun = findings(store, inv, utc(2026, 11, 16, 2, 45))
    assert set(overrun) == {"job_overrun"}
    assert overrun["job_overrun"].onset == utc(2026, 11, 16, 1, 30)
    assert overrun["job_overrun"].summary.startswith("still running after 1h15m (at most 1h)")


def test_duration_anomaly_against_the_jobs_own_recent_runs(store):
    inv = inventory_of(job())
    for day in range(2, 14):
        ran(store, "nightly-export", utc(2026, 11, day, 1, 30), 20 + day % 3)
    ran(store, "nightly-export", utc(2026, 11, 14, 1, 30), 55)  # 2.6x the usual 21 minutes
    slow = findings(store, inv, utc(2026, 11, 14, 3, 0))
    assert set(slow) == {"job_duration"}
    assert slow["job_duration"].onset == utc(2026, 11, 14, 1, 30)
    assert "took 55m, 2.6x its usual 21m (median of the last 10 runs)" in (
        slow["job_duration"].summary
    )
    ran(store, "nightly-export", utc(2026, 11, 15, 1, 30), 2)  # did it do anything?
    quick = findings(store, inv, utc(2026, 11, 15, 3, 0))["job_duration"]
    assert "took 2m, 10% of its usual 21m" in quick.summary
    ran(store, "nightly-export", utc(2026, 11, 16, 1, 30), 25)  # within the usual spread
    assert findings(store, inv, utc(2026, 11, 16, 3, 0)) == {}


# -- pulled throughput in a real DuckDB store ---------------------------------------------------


def pulled(store: Store, iid: str, nights: dict[int, tuple[int, int] | None]) -> None:
    """Five-minute throughput samples for November 2026 nights: (start minute after 01:00 UTC,
    minutes running) with zeros around it while idle; None: the job did not run (zeros)."""
    rows = []
    for day, run in nights.items():
        base = utc(2026, 11, day, 0, 0)
        for k in range(0, 8 * 12):  # 00:00-08:00 UTC, every 5 minutes
            ts = base + timedelta(minutes=5 * k)
            minute = 5 * k - 60
            busy = run is not None and run[0] <= minute < run[0] + run[1]
            rows.append((ts, iid, "throughput", 40.0 if busy else 0.0, "prom"))
    frame = pd.DataFrame(rows, columns=["ts", "integration_id", "metric", "value", "source"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    store.write_samples(frame)


def test_runs_pulled_from_throughput_missed_late_and_overrun(store):
    """A job that reports throughput only: a run is throughput above zero."""
    inv = inventory_of(job("partner-drop", cron="30 1 * * *", timezone="UTC", max_duration="2h"))
    usual = {day: (30, 40) for day in range(2, 12)}  # 01:30-02:10 UTC
    pulled(store, "partner-drop", {**usual, 12: None, 13: (150, 30), 14: (30, 150)})
    runs = store.query(
        "SELECT started_at, finished_at, duration_s, status, feed FROM job_runs_between("
        "TIMESTAMPTZ '2026-11-01', TIMESTAMPTZ '2026-11-14 03:00:00+00', ['partner-drop'])"
        " ORDER BY started_at"
    )
    assert len(runs) == 12  # ten usual nights, the late one, the one still going
    assert runs.iloc[0].duration_s == 40 * 60 and runs.iloc[0].feed == "throughput"
    assert list(runs.status[-2:]) == ["ended", "running"]

    assert findings(store, inv, utc(2026, 11, 11, 4, 0)) == {}
    missed = findings(store, inv, utc(2026, 11, 12, 2, 5))
    assert set(missed) == {"job_missed"} and missed["job_missed"].onset == utc(2026, 11, 12, 2, 0)
    late = findings(store, inv, utc(2026, 11, 13, 5, 0))
    assert set(late) == {"job_late"} and "2h late (grace 30m)" in late["job_late"].summary
    running = findings(store, inv, utc(2026, 11, 14, 3, 35))
    assert set(running) == {"job_overrun"}
    assert running["job_overrun"].onset == utc(2026, 11, 14, 1, 30)


# -- a real shell job run by `seamwatch ping` against a live `seamwatch run` ---------------------


def test_a_cron_job_run_by_seamwatch_ping_is_judged_against_its_schedule(workspace, monkeypatch):
    port = free_port()
    monkeypatch.setenv("SW_PING_TOKEN", "tok-123")
    workspace.write(
        "config.toml",
        CONFIG + f'\n[heartbeats]\nenabled = true\nport = {port}\ntoken = "${{SW_PING_TOKEN}}"\n',
    )
    workspace.write(
        "inventory/payments.toml",
        INVENTORY
        + textwrap.dedent(
            """
            [[integration]]
            id = "nightly-export"
            name = "Nightly export"
            source_system = "ERP"
            target_system = "DWH"
            pattern = "batch"
            tier = 2
            schedule = { cron = "30 2 * * *", timezone = "Europe/Berlin", grace = "30m", max_duration = "1m" }
            """
        ),
    )
    script = workspace.write(
        "export.sh",
        """
        #!/bin/sh
        echo "exporting"
        sleep "$1"
        if [ "$2" = bad ]; then echo "ERROR: target refused the file" >&2; exit 4; fi
        echo "done"
        """,
    )
    script.chmod(0o755)
    settings = load_settings(workspace.config)
    scheduler = build_scheduler(settings)
    scheduler.start()
    cmd = [
        sys.executable,
        "-m",
        "cli",
        "ping",
        "nightly-export",
        "--config",
        str(workspace.config),
        "--",
        str(script),
    ]
    try:
        assert wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/").status_code == 400, 10)
        bad = run_cli_process(*cmd[3:], "1", "bad", cwd=workspace.root)
        assert bad.returncode == 4, bad.stderr
        slow = subprocess.Popen(
            [*cmd, "30", "good"],
            cwd=workspace.root,
            env={
                "PYTHONPATH": str(REPO),
                "SW_PING_TOKEN": "tok-123",
                "PATH": "/usr/bin:/bin",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        store = Store.from_settings(settings)
        assert wait_until(lambda: len(store.query("SELECT * FROM v_job_runs")) == 2, 20, 0.3)
    finally:
        time.sleep(0.5)
        scheduler.shutdown(wait=True)
    slow.kill()
    slow.wait()
    runs = store.query("SELECT * FROM v_job_runs ORDER BY started_at")
    assert list(runs.status) == ["fail", "running"] and list(runs.feed) == ["heartbeat"] * 2
    assert "ERROR: target refused the file" in runs.iloc[0].body
    bad_start = runs.iloc[0].started_at.to_pydatetime()
    bad_end = runs.iloc[0].finished_at.to_pydatetime()
    started = runs.iloc[1].started_at.to_pydatetime()
    # Judged at moments pinned to what the store recorded, not the wall clock: the job is due
    # daily at the minute the failing run started (UTC), 30 minutes' grace, at most 1 minute.
    nightly = job(
        cron=f"{bad_start.minute} {bad_start.hour} * * *", timezone="UTC", max_duration="1m"
    )
    as_of = bad_start.replace(second=0, microsecond=0) + timedelta(minutes=30, seconds=30)
    found = findings(store, inventory_of(nightly), as_of)
    assert set(found) == {"job_failed", "job_overrun", "job_off_schedule"}, found
    assert found["job_failed"].summary.endswith(
        "exit status 4: exporting | ERROR: target refused the file"
    )
    assert found["job_failed"].onset == bad_end
    assert found["job_overrun"].onset == started  # the second run never ended: still going
    assert found["job_off_schedule"].onset == started  # a second run for the same cron time
