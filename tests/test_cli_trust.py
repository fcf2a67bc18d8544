"""CLI output a person can trust (issue 15): readable tables, times in the configured zone,
what is muted and why, maintenance windows listed, a closed pipe ending quietly; and the
first weekly review waiting for the first detection."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pandas as pd

from cli.common import readable
from reports.stage import after_first_detection
from seamwatch.mutes import Muter, open_mutes, silences_from_rows, windows_from_config
from seamwatch.store import Store
from tests.conftest import REPO, Workspace
from tests.pinned_clock import PINNED

WINDOWS = """
[app]
timezone = "Europe/Berlin"

[[alerts.maintenance]]
name = "always"
cron = "* * * * *"
duration = "2m"
timezone = "Europe/Berlin"
match = { owner = "payments" }
comment = "nightly batch"

[[alerts.maintenance]]
name = "new-year"
cron = "0 3 1 1 *"
duration = "1h"
timezone = "Europe/Berlin"
"""


def test_tables_print_blank_for_null_whole_tiers_and_cut_long_summaries() -> None:
    frame = pd.DataFrame(
        {"tier": [1.0, None], "summary": ["x" * 100, None], "owner": ["payments", None]}
    )
    text = readable(frame).to_string(index=False, na_rep="")
    assert "NaN" not in text and "None" not in text and "1.0" not in text
    assert "x" * 59 + "…" in text and "x" * 61 not in text


def test_maintenance_list_shows_what_is_on_and_the_next_start_in_the_configured_zone(
    cli, workspace: Workspace
) -> None:
    workspace.config.write_text(workspace.config.read_text() + WINDOWS)
    result = cli("maintenance", "list", "--format", "json", now=PINNED)  # 10:00 in Berlin
    assert result.code == 0, result.err
    rows = {r["name"]: r for r in json.loads(result.out)}
    assert rows["always"]["now"].startswith("on until 2026-11-25 10:0")
    assert rows["always"]["mutes"] == "owner=payments"
    assert rows["new-year"]["now"] == "off"
    assert rows["new-year"]["next start"] == "2027-01-01 03:00 CET"
    table = cli("maintenance", "list", now=PINNED)
    assert "nightly batch" in table.out and "NaN" not in table.out and "None" not in table.out


def test_maintenance_list_without_windows_says_so(cli) -> None:
    result = cli("maintenance", "list")
    assert result.code == 0
    assert "no maintenance windows configured" in result.out


def test_a_closed_pipe_ends_quietly(workspace: Workspace) -> None:
    many = "".join(
        f'\n[[alerts.maintenance]]\nname = "w{i}"\ncron = "0 3 * * sun"\nduration = "1h"\n'
        for i in range(3000)
    )
    workspace.config.write_text(workspace.config.read_text() + many)
    command = f"{sys.executable} -m cli maintenance list --config {workspace.config} | head -n 2"
    done = subprocess.run(
        ["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr


def test_silences_and_windows_mute_findings_and_say_who_and_until_when(
    workspace: Workspace,
) -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    store = Store(workspace.store_path)
    store.migrate()
    with store.write() as con:
        for iid in ("pay-a", "ship-b", "other-c"):
            con.execute(
                "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
                " severity, summary, status, first_seen, last_seen) VALUES"
                " (?, ?, ?, 'error_rate', 'trend', 'warning', 's', 'open', ?, ?)",
                [iid, iid, iid, now, now],
            )
        con.execute(
            "INSERT INTO silences VALUES ('s1', '{\"integration\": \"pay-a\"}', ?, ?,"
            " 'vendor fix', 'ana', ?, NULL)",
            [now - timedelta(hours=1), now + timedelta(hours=3), now],
        )
    alerts = {
        "maintenance": [
            {"name": "ship-sunday", "cron": "0 9 * * wed", "duration": "2h",
             "match": {"integration": "ship-*"}, "comment": "carrier upgrade"}
        ]
    }  # fmt: skip
    mutes = open_mutes(store, alerts, now)
    assert set(mutes) == {"pay-a", "ship-b"}
    assert mutes["pay-a"].text() == "silenced by ana until 2026-11-25 13:00 UTC — vendor fix"
    assert mutes["ship-b"].text() == (
        "in maintenance window ship-sunday until 2026-11-25 11:00 UTC — carrier upgrade"
    )
    # an hour later the window is over
    assert set(open_mutes(store, alerts, now + timedelta(hours=1, minutes=1))) == {"pay-a"}


def test_tier_matchers_match_tiers_read_as_floats() -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    silences = silences_from_rows(
        [{"silence_id": "s", "matchers": '{"tier": 3}', "ends_at": now + timedelta(hours=1)}]
    )
    row = {
        "finding_id": "f", "fingerprint": "f", "integration_id": "a", "name": None, "owner": None,
        "metric": "", "detector": "no_owner", "severity": "info", "summary": "s",
        "status": "open", "first_seen": now, "last_seen": now,
    }  # fmt: skip
    assert Muter(silences, [], now).mute({**row, "tier": 3.0}) is not None
    assert Muter(silences, [], now).mute({**row, "tier": 2.0}) is None


def test_a_broken_window_names_its_block() -> None:
    try:
        windows_from_config({"maintenance": [{"name": "x", "cron": "0 3 * * sun"}]})
    except ValueError as exc:
        assert str(exc) == "alerts.maintenance[0]: required key 'duration' is missing"
    else:
        raise AssertionError("a window without a duration was accepted")


def test_the_report_catch_up_waits_for_the_first_detection(workspace: Workspace) -> None:
    store = Store(workspace.store_path)
    store.migrate()
    written: list[int] = []
    job = after_first_detection(store, lambda: written.append(1))
    job()
    assert written == []  # no detection pass yet: a review now would call everything healthy
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with store.write() as con:
        con.execute(
            "INSERT INTO detector_runs (run_id, as_of, started_at, finished_at) VALUES"
            " ('r', ?, ?, ?)",
            [at, at, at],
        )
    job()
    job()
    assert written == [1]  # once


def test_biggest_changes_rank_a_real_latency_step_above_a_tiny_error_rate_wobble() -> None:
    from reports.model import MetricWeek
    from seamwatch.metrics import Metric

    wobble = MetricWeek(Metric.ERROR_RATE, this=0.0007, last=0.0005)
    step = MetricWeek(Metric.LATENCY_P95_MS, this=472.0, last=400.0)
    assert wobble.score > step.score  # relative to the old floor the wobble looked bigger
    assert step.impact > wobble.impact
