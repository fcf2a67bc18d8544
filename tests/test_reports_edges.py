"""The weekly review at its edges: hostile names, empty and partial weeks, unknown teams, the
schedule across daylight-saving changes, config errors, and posting to a local chat receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from cli.scheduler import build_scheduler
from collectors.demo import simulate
from reports import (
    ReportSettings,
    Week,
    WeekError,
    build_report,
    queries,
    report_trigger,
    write_report,
)
from seamwatch.config import load_settings
from seamwatch.inventory import load_inventory
from seamwatch.store import Store
from tests.conftest import Workspace, command_module, pinned_utcnow

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)
XSS = "<script>alert(1)</script>"

HOSTILE_INVENTORY = f"""
[[integration]]
id = "crm-orders-to-erp"
name = "{XSS}"
owner = "payments"
source_system = "CRM"
target_system = "ERP"
pattern = "sync-api"
tier = 1
runbook = "javascript:alert(3)"
last_review = 2026-11-01
slo = {{ latency_p95_ms = 800, error_rate = 0.01 }}
"""


def prepare(workspace: Workspace, reports: str = "", inventory: str | None = None) -> Store:
    """The conftest workspace with a [reports] section, migrated and inventory synced."""
    workspace.write(
        "config.toml",
        workspace.config.read_text(encoding="utf-8") + f"\n[reports]\n{reports}\n",
    )
    if inventory is not None:
        workspace.write("inventory/payments.toml", inventory)
    settings = load_settings(workspace.config)
    store = Store.from_settings(settings)
    store.migrate()
    store.sync_inventory(load_inventory(settings.inventory.paths, settings.base_dir), NOW)
    return store


def samples(ids: list[str], start: datetime, end: datetime) -> pd.DataFrame:
    table = simulate(ids, start, end, timedelta(minutes=5), anchor=NOW).to_pandas()
    return table


def test_hostile_names_and_summaries_are_escaped_in_both_formats(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    store = prepare(workspace, 'timezone = "Europe/Berlin"', HOSTILE_INVENTORY)
    week = Week.parse("2026-W47", BERLIN)
    data = samples(["crm-orders-to-erp"], week.previous().start, week.end)
    stranger = data[data.metric == "throughput"].copy()
    stranger["integration_id"] = "<img src=x onerror=alert(2)>"
    store.write_samples(pd.concat([data, stranger]))
    with store.write() as con:
        con.execute(
            "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
            " severity, summary, status, first_seen, last_seen) VALUES ('f', 'fp',"
            " 'crm-orders-to-erp', 'latency_p95_ms', 'trend', 'warning', ?, 'open', ?, ?)",
            ["p95 *up* | [click](javascript:x) <b>now</b>", week.start + timedelta(days=2), NOW],
        )
    result = cli("report", "--week", "2026-W47", now=NOW)
    assert result.code == 0, result.err
    md = (workspace.root / "data/reports/2026-W47.md").read_text(encoding="utf-8")
    html = (workspace.root / "data/reports/2026-W47.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert XSS not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<img" not in text and "&lt;img src=x onerror=alert(2)&gt;" in text
        assert "<b>now</b>" not in text and "javascript:" not in text.replace("javascript:x", "")
    assert "javascript:alert(3)" not in html  # a runbook that is not http(s) is not linked
    assert r"p95 \*up\* \| \[click\](javascript:x) &lt;b&gt;now&lt;/b&gt;" in md


def test_week_without_data_says_so(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    prepare(workspace)
    result = cli("report", "--week", "2026-W47", now=NOW)
    assert result.code == 0, result.err
    assert "note: No samples were collected in week 2026-W47." in result.out
    md = (workspace.root / "data/reports/2026-W47.md").read_text(encoding="utf-8")
    assert "> **Note:** No samples were collected in week 2026-W47." in md
    assert "No comparison: one of the two weeks has no data." in md
    assert "No integration with an SLO reported data in these two weeks." in md
    html = (workspace.root / "data/reports/2026-W47.html").read_text(encoding="utf-8")
    assert "No samples were collected in week 2026-W47." in html


def test_partly_covered_week_says_how_much_and_from_when(workspace: Workspace) -> None:
    store = prepare(workspace, 'timezone = "Europe/Berlin"')
    week = Week.parse("2026-W47", BERLIN)
    begin = datetime(2026, 11, 19, 12, tzinfo=BERLIN)  # Thursday noon
    store.write_samples(samples(["crm-orders-to-erp", "payments-webhook"], begin, week.end))
    settings = load_settings(workspace.config)
    w = write_report(settings, week=week, now=NOW)
    hours = (week.end - begin).total_seconds() / 3600
    text = w.md_path.read_text(encoding="utf-8")
    assert (
        f"Data covers only {hours / 168:.0%} of the week: samples from Thu 19 Nov 12:00 "
        "to Sun 22 Nov 23:55 (Europe/Berlin)" in text
    )
    assert "No samples for the week before (2026-W46), so there is nothing to compare with." in text
    assert "| — |" in text  # no change column without last week


def test_a_failing_query_beside_the_rest_fails_the_review_and_frees_the_store(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Job runs and checklists are read on a cursor of their own: their error is the review's,
    and the store is closed and readable afterwards."""
    store = prepare(workspace, 'timezone = "Europe/Berlin"')
    week = Week.parse("2026-W47", BERLIN)
    store.write_samples(samples(["crm-orders-to-erp"], week.previous().start, week.end))
    monkeypatch.setattr(queries, "JOBS", "SELECT * FROM no_such_table")
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        build_report(store, week, now=NOW)
    monkeypatch.undo()
    assert build_report(store, week, now=NOW).coverage.hours > 0
    with store.write() as con:  # nothing left open on the file
        con.execute("SELECT 1")


def test_team_without_integrations_gets_a_plain_report(workspace: Workspace) -> None:
    # The command line refuses an unknown --team; the library still writes a plain report.
    store = prepare(workspace)
    week = Week.parse("2026-W47", ZoneInfo("UTC"))
    store.write_samples(samples(["crm-orders-to-erp"], week.start, week.end))
    write_report(load_settings(workspace.config), week=week, team="Data & BI", now=NOW)
    md = (workspace.root / "data/reports/2026-W47-data-bi.md").read_text(encoding="utf-8")
    assert (
        "Team Data &amp; BI owns no integrations in the inventory (teams with integrations: payments)."
        in md
    )
    assert "Team Data &amp; BI has no integrations: nothing to review." in md
    assert "crm-orders-to-erp" not in md


def test_out_dir_and_invalid_week_on_the_command_line(workspace: Workspace, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    prepare(workspace)
    result = cli("report", "--week", "2026-W47", "--out", str(tmp_path / "review"), now=NOW)
    assert result.code == 0
    assert f"wrote {tmp_path / 'review' / '2026-W47.md'}" in result.out
    bad = cli("report", "--week", "week 47", now=NOW)
    assert bad.code == 2
    assert bad.err == "seamwatch: --week 'week 47' is not an ISO week (write e.g. 2026-W47)\n"
    assert (
        cli("report", "--week", "2027-W53", now=NOW).err
        == "seamwatch: --week '2027-W53': 2027 has no ISO week 53\n"
    )
    assert cli("report", "--week", "2031-W02", now=NOW).err == (
        "seamwatch: week 2031-W02 has not started yet (it starts Mon 06 Jan 2031 00:00 UTC)\n"
    )


def test_weeks_follow_local_midnight_across_daylight_saving() -> None:
    w47 = Week.parse("2026-W47", BERLIN)
    assert w47.start == datetime(2026, 11, 15, 23, tzinfo=UTC)
    assert w47.hours == 168
    autumn = Week.parse("2026-W43", BERLIN)  # 25 Oct 2026: clocks go back
    assert autumn.hours == 169
    assert Week.parse("2027-W12", BERLIN).hours == 167  # 28 Mar 2027: clocks go forward
    assert (
        Week.last_complete(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), BERLIN).label == "2026-W47"
    )
    assert (
        Week.last_complete(datetime(2026, 11, 22, 22, 30, tzinfo=UTC), BERLIN).label == "2026-W46"
    )
    assert Week.parse("2026-W01", BERLIN).previous().label == "2025-W52"
    with pytest.raises(WeekError):
        Week.parse("2026-47", BERLIN)


@pytest.mark.parametrize(
    ("after", "expected_utc"),
    [
        # autumn: Monday 08:00 is 06:00 UTC in summer time, 07:00 UTC after 25 Oct 2026
        (datetime(2026, 10, 13, tzinfo=UTC), datetime(2026, 10, 19, 6, tzinfo=UTC)),
        (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 26, 7, tzinfo=UTC)),
        # spring: 07:00 UTC before 28 Mar 2027, 06:00 UTC after
        (datetime(2027, 3, 16, tzinfo=UTC), datetime(2027, 3, 22, 7, tzinfo=UTC)),
        (datetime(2027, 3, 23, tzinfo=UTC), datetime(2027, 3, 29, 6, tzinfo=UTC)),
    ],
)
def test_schedule_fires_at_local_time_across_daylight_saving(after, expected_utc) -> None:  # type: ignore[no-untyped-def]
    trigger = report_trigger(ReportSettings(timezone="Europe/Berlin"))
    fire = trigger.get_next_fire_time(None, after)
    assert fire == expected_utc
    assert fire.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 08:00"


def test_scheduler_has_the_report_job_at_the_configured_time(workspace: Workspace) -> None:
    prepare(workspace, 'timezone = "Europe/Berlin"\nschedule_day = "tue"\nschedule_time = "07:30"')
    scheduler = build_scheduler(load_settings(workspace.config))
    job = next(j for j in scheduler.get_jobs() if j.id == "report")
    fire = job.trigger.get_next_fire_time(None, datetime(2026, 10, 24, tzinfo=UTC))
    assert fire.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 10, 27, 7, 30)


def test_bad_reports_config_is_one_line_with_file_key_and_line(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    workspace.write(
        "config.toml",
        workspace.config.read_text(encoding="utf-8") + '\n[reports]\ntimezone = "Mars/Olympus"\n',
    )
    result = cli("check")
    assert result.code == 2
    line = next(x for x in result.out.splitlines() if "reports.timezone" in x)
    number = workspace.config.read_text().splitlines().index('timezone = "Mars/Olympus"') + 1
    assert line == (
        f"error: {workspace.config}:{number}: reports.timezone: 'Mars/Olympus' is not a time zone "
        "(write an IANA name, e.g. 'Europe/Berlin' or 'UTC')"
    )
    workspace.write(
        "config.toml", workspace.config.read_text().replace("Mars/Olympus", "UTC") + "colour = 1\n"
    )
    assert "reports.colour: unknown key" in cli("check").out
    assert "reports.colour: unknown key" in cli("report", now=NOW).err


def test_post_sends_summary_with_link_and_records_it(
    workspace: Workspace, cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REPORT_WEBHOOK", httpserver.url_for("/hooks/secret-token"))
    store = prepare(
        workspace,
        'post_url = "${REPORT_WEBHOOK}"\nchat_route = "integration-review"\n'
        'link_base = "https://seamwatch.example.com/reports"',
        HOSTILE_INVENTORY,
    )
    week = Week.parse("2026-W47", ZoneInfo("UTC"))
    store.write_samples(samples(["crm-orders-to-erp"], week.previous().start, week.end))
    httpserver.expect_request("/hooks/secret-token", method="POST").respond_with_data("ok")
    result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 0, result.err
    assert "posted the summary to integration-review" in result.out
    ((request, _),) = httpserver.log
    body = json.loads(request.data)
    assert set(body) == {"text"}
    text = body["text"]
    assert text.startswith("Weekly review 2026-W47 (16–22 Nov 2026), fleet.")
    assert "<https://seamwatch.example.com/reports/2026-W47.html|Full report>" in text
    assert "1 integrations, health at the end of the week: 1 ok." in text
    with store.read() as con:
        posted = con.execute(
            "SELECT posted_at FROM v_reports WHERE report_id = '2026-W47'"
        ).fetchone()
        sent = con.execute(
            "SELECT channel, event, status FROM v_notifications WHERE event = 'report'"
        ).fetchall()
    assert posted[0] is not None
    assert sent == [("integration-review", "report", "sent")]


def test_refused_post_is_reported_without_the_secret_url(
    workspace: Workspace, cli, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REPORT_WEBHOOK", httpserver.url_for("/hooks/secret-token"))
    store = prepare(
        workspace, 'post_url = "${REPORT_WEBHOOK}"\npost_format = "discord"', HOSTILE_INVENTORY
    )
    httpserver.expect_request("/hooks/secret-token", method="POST").respond_with_data("gone", 404)
    result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 2
    assert result.err == (
        "seamwatch: report 2026-W47 written, but posting failed: the chat webhook refused the "
        "message (HTTP 404); check the URL\n"
    )
    assert "secret-token" not in result.out + result.err
    ((request, _),) = httpserver.log
    content = json.loads(request.data)["content"]
    assert "[Full report](file://" in content
    with store.read() as con:
        assert con.execute(
            "SELECT status FROM v_notifications WHERE event = 'report'"
        ).fetchall() == [("undelivered",)]
        assert con.execute("SELECT posted_at FROM v_reports").fetchone() == (None,)


def test_post_without_a_webhook_says_what_to_configure(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    prepare(workspace)
    result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 2
    assert 'posting needs [reports] post_url (e.g. post_url = "${REPORT_WEBHOOK}")' in result.err


def test_scheduled_run_writes_fleet_and_team_reports_and_posts(
    workspace: Workspace, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.report import announcer
    from reports import run_scheduled
    from reports.stage import publish
    from seamwatch.stage import Runtime

    monkeypatch.setenv("REPORT_WEBHOOK", httpserver.url_for("/hook"))
    prepare(
        workspace, 'post_url = "${REPORT_WEBHOOK}"\nper_team = true\npost_format = "mattermost"'
    )
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    settings = load_settings(workspace.config)
    runtime = Runtime(settings, Store.from_settings(settings), list, announce=announcer(settings))
    written = publish(runtime, run_scheduled(settings, now=NOW), now=NOW)
    assert [w.md_path.name for w in written] == ["2026-W47.md", "2026-W47-payments.md"]
    ((request, _),) = httpserver.log
    assert "[Full report](file://" in json.loads(request.data)["text"]


def test_seamwatch_demo_then_report_of_its_week(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`seamwatch demo` then `seamwatch report` as a user runs them (the demo anchored at a pinned
    time, the report of the week before it: no wall clock)."""
    import shutil

    from cli import main
    from tests.reports_fixtures import DEMO_CONFIG, REPO

    shutil.copytree(REPO / "data" / "inventory", tmp_path / "inventory")
    (tmp_path / "config.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    config = str(tmp_path / "config.toml")
    anchor = datetime(2026, 11, 25, 9, tzinfo=UTC)
    with pinned_utcnow(anchor, command_module("demo"), command_module("report")):
        assert (
            main(["demo", "--weeks", "2", "--anchor", "2026-11-25T09:00:00Z", "--config", config])
            == 0
        )
        capsys.readouterr()
        week = Week.last_complete(anchor, BERLIN)
        assert main(["report", "--week", week.label, "--config", config]) == 0
    out = capsys.readouterr().out
    md = (tmp_path / "data" / "reports" / f"{week.label}.md").read_text(encoding="utf-8")
    assert f"wrote {tmp_path / 'data' / 'reports' / week.label}.md" in out
    # situations that do not depend on when the demo was seeded
    assert "hr-employee-sync, due 2025-08-13" in md
    assert "Marketing leads import (marketing-leads-import)" in md.split("**No owner**")[1]
    assert "legacy-soap-pricing, deprecated, sunset 2026-09-30" in md
    assert "partner-shadow-feed (" in md.split("**Seen in data but not inventoried**")[1]


def test_daemon_start_writes_a_missed_weekly_report_once(workspace: Workspace) -> None:
    from reports import catch_up

    prepare(workspace, 'timezone = "Europe/Berlin"')
    settings = load_settings(workspace.config)
    sunday_night = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Mon 00:30 Berlin: run still ahead
    assert catch_up(settings, now=sunday_night) == []
    monday_noon = datetime(2026, 11, 23, 11, tzinfo=UTC)  # the 08:00 run was missed
    (written,) = catch_up(settings, now=monday_noon)
    assert written.md_path.name == "2026-W47.md"
    assert catch_up(settings, now=monday_noon + timedelta(hours=1)) == []  # already written
    scheduler = build_scheduler(settings)
    assert {"report", "report-catch-up"} <= {j.id for j in scheduler.get_jobs()}


def test_report_without_a_store_says_how_to_get_one(workspace: Workspace, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", now=NOW)
    assert result.code == 2
    assert result.err == (
        f"seamwatch: no store at {workspace.store_path}: run `seamwatch demo` to seed one, "
        "or `seamwatch run` to collect\n"
    )
    assert not workspace.store_path.exists()
