"""The dashboard, page by page, through Streamlit's AppTest: what a user sees on the demo fleet,
on an empty install, and when they filter, deep-link, silence or type SQL."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_workspaces import ENTRY, AppWorkspace, clone, demo_workspace, empty_workspace
from tests.pinned_clock import PINNED

pytestmark = pytest.mark.pinned_clock

PAGES = [
    "views/overview.py",
    "views/findings.py",
    "views/integration.py",
    "views/inventory.py",
    "views/owners.py",
    "views/reports.py",
    "views/sources.py",
    "views/sql.py",
    "views/alerts.py",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> AppWorkspace:
    return demo_workspace(tmp_path_factory.mktemp("demo"))


def open_page(
    ws: AppWorkspace, monkeypatch: pytest.MonkeyPatch, page: str = PAGES[0], **params: str
) -> AppTest:
    """Open the app as a browser would at `page?params`."""
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(ws.config))
    at = AppTest.from_file(str(ENTRY), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_spec(at: AppTest) -> dict[str, Any]:
    """The Integration page's chart spec, with the datasets Streamlit sends beside it put back."""
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[0]
    spec = json.loads(chart.proto.spec)
    spec["datasets"] = {
        d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets
    }
    return spec


def panels(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The metric panels of the Integration page's chart (rows of two)."""
    return [panel for row in spec["vconcat"] for panel in row["hconcat"]]


def texts(at: AppTest) -> str:
    """Everything readable on the page, in one string."""
    parts: list[str] = []
    for kind in (
        "title",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(str(m.label) + " " + str(m.value) for m in at.metric)
    return "\n".join(parts)


def table(at: AppTest, index: int = 0) -> Any:
    return at.dataframe[index].value


# -- every page, demo fleet and empty install -----------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_fleet_without_errors(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    params = {"integration": "inventory-sync"} if page.endswith("integration.py") else {}
    at = open_page(demo, monkeypatch, page, **params)
    assert at.title, "every page has a title"
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_a_new_install_tells_the_user_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = open_page(empty_workspace(tmp_path), monkeypatch, page)
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "seamwatch demo" in shown or "seamwatch run" in shown, shown


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_migrated_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = open_page(empty_workspace(tmp_path, migrated=True), monkeypatch, page)
    assert not at.error, [e.value for e in at.error]
    assert at.info or at.caption or at.success


def test_sources_page_without_sources_says_how_to_add_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(empty_workspace(tmp_path, migrated=True, sources=False), monkeypatch, PAGES[6])
    assert "No sources configured" in texts(at)
    assert "[[sources]]" in texts(at)


def test_a_store_locked_by_a_writer_shows_a_busy_message_not_a_traceback(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.data.READ_LOCK_TIMEOUT", 0.5)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
            " print('locked', flush=True); time.sleep(60)",
            str(demo.store.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        at = open_page(demo, monkeypatch, PAGES[1], window="30d")  # a page not cached yet
        assert "The store is busy" in texts(at)
    finally:
        holder.kill()
        holder.wait()


# -- overview --------------------------------------------------------------------------------


def test_overview_puts_the_worst_first_with_owner_and_since(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch)
    shown = texts(at)
    assert "Needs attention" in shown
    assert "p95 latency up 64% week over week, 180 ms → 295 ms" in shown
    assert "logistics · tier 1 · since 30 h" in shown
    rows = table(at)
    assert list(rows["health"].iloc[0]) == ["failing"]
    assert rows["open"].iloc[0] == "integration?integration=inventory-sync"
    assert [list(h) for h in rows["health"].iloc[1:3]] == [["degrading"], ["degrading"]]
    links = at.get("page_link")
    assert links[0].proto.query_string == "integration=inventory-sync"


def test_overview_counts_by_health(demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo, monkeypatch)
    counts = {m.label.split()[-1]: int(m.value) for m in at.metric}
    assert counts["failing"] == 1
    assert counts["degrading"] == 2
    assert sum(counts.values()) == len(table(at))


def test_overview_owner_filter_shows_only_that_team(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch)
    everyone = len(table(at))
    at.multiselect(key="owner").select("finance").run()
    rows = table(at)
    assert 0 < len(rows) < everyone
    assert set(rows["owner"]) == {"finance"}
    assert f"{len(rows)} of {everyone} integrations" in texts(at)


def test_overview_filters_come_from_the_link(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, tier="1", health="failing")
    rows = table(at)
    assert list(rows["open"]) == ["integration?integration=inventory-sync"]


def test_overview_grouped_by_owner_shows_one_table_per_team(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, group="owner")
    owners = {str(v) for t in at.dataframe for v in t.value["owner"].fillna("(none)")}
    assert len(at.dataframe) == len(owners) >= 5
    assert any("owner logistics" in m.value and "failing" in m.value for m in at.markdown)


def test_overview_grouped_by_team_shows_one_table_per_team(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, group="team")
    assert not at.exception
    assert len(at.dataframe) >= 5
    assert any(m.value.startswith("**team ") for m in at.markdown)


def test_overview_refreshes_itself(demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo, monkeypatch)
    assert "refreshes every 30 s" in texts(at)


def test_pages_and_their_sql_read_the_pinned_clock(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the app takes for now, in Python and in DuckDB's views, is the suite's pinned
    clock (`tests.pinned_clock`), not the wall clock: the seeded story is told from PINNED."""
    assert "updated 10:" in texts(open_page(demo, monkeypatch))  # PINNED is 10:00 in Berlin
    at = open_page(demo, monkeypatch, PAGES[7])
    run_sql(at, "SELECT now() AS now, max(ts) AS last_sample FROM samples")
    row = table(at).iloc[0]
    assert PINNED <= row["now"] < PINNED + timedelta(hours=1)
    assert row["last_sample"] <= PINNED


# -- integration -----------------------------------------------------------------------------


def test_integration_page_shows_the_integration_named_in_the_link(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="inventory-sync")
    assert at.title[0].value == "Stock levels to the web shop"
    shown = texts(at)
    assert "failing" in shown and "p95 latency up 64% week over week" in shown
    assert "Manhattan WMS → Web Shop" in shown
    assert "https://runbooks.example.com/logistics/inventory-sync" in shown
    assert "p95 ≤ 250 ms, errors ≤ 1.00%" in shown
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1  # one spec, so the panels share a crosshair
    assert len(panels(json.loads(charts[0].proto.spec))) == 6  # a stream has all six metrics
    findings = table(at)
    assert "p95 latency up 64% week over week, 180 ms → 295 ms" in set(findings["summary"])
    notes = table(at, 1)
    assert list(notes["channel"]) == ["logistics-slack"]


def test_integration_chart_has_baseline_slo_and_findings(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="inventory-sync")
    spec = chart_spec(at)
    specs = panels(spec)
    p95 = next(s for s in specs if "p95 latency (ms)" in json.dumps(s))
    marks = [layer["mark"]["type"] for layer in p95["layer"]]
    assert marks[0] == "rect"  # the finding, shaded from when the change began
    assert "line" in marks  # this period and, dashed grey, the same hours last week
    assert "same hours last week" in json.dumps(spec["datasets"])
    slo = [layer for layer in p95["layer"] if layer["encoding"].get("y", {}).get("field") == "slo"]
    assert slo, "the SLO is drawn as a line"
    error_rate = next(s for s in specs if '"error rate"' in json.dumps(s))
    assert any(
        layer["encoding"].get("y", {}).get("field") == "slo" for layer in error_rate["layer"]
    )
    throughput = next(s for s in specs if "throughput (msg/s)" in json.dumps(s))
    assert all(
        layer["encoding"].get("y", {}).get("field") != "slo" for layer in throughput["layer"]
    )


def test_integration_chart_draws_the_trend_its_projection_and_the_breach_date(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="inventory-sync")
    spec = chart_spec(at)
    trend = next(v for k, v in spec["datasets"].items() if k.endswith("_trend"))
    fit = [row for row in trend if row["kind"] == "fit"]
    assert fit[0]["label"] == "fitted: +60%/week"
    projection = [row for row in trend if row["kind"] == "projection"]
    assert projection[-1]["y"] == pytest.approx(250.0, rel=0.01)  # it ends on the SLO line
    breach = demo.now + timedelta(days=1.2)
    day = breach.astimezone(ZoneInfo("Europe/Berlin")).strftime("%a %d %b")
    marker = next(v for k, v in spec["datasets"].items() if k.endswith("_breach"))
    assert marker[0]["label"] == f"SLO breach ~{day}"
    # the x axis reaches the breach date
    line = next(layer for layer in panels(spec)[0]["layer"] if "scale" in layer["encoding"]["x"])
    assert line["encoding"]["x"]["scale"]["domain"][1] >= projection[-1]["t"]
    # one nearest-point selection over every panel: the shared crosshair
    assert spec["params"][0]["select"]["nearest"] is True
    assert len(spec["params"][0]["views"]) == 6


def test_integration_chart_marks_the_change_point_with_levels_before_and_after(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="crm-orders-to-erp", range="14d")
    spec = chart_spec(at)
    levels = next(v for k, v in spec["datasets"].items() if k.endswith("_levels"))
    assert [(r["kind"], r["label"]) for r in levels] == [
        ("before", "before 40.0/s"),
        ("after", "after 35.2/s"),
    ]
    change = next(v for k, v in spec["datasets"].items() if k.endswith("_changes"))
    assert change[0]["label"].startswith("40.0/s → 35.2/s at ")


def test_integration_range_picks_a_resolution_that_stays_fast(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {"6h": "raw resolution", "3d": "5 min resolution (means)",
                "14d": "1 hour resolution (means)"}  # fmt: skip
    for span, caption in expected.items():
        at = open_page(demo, monkeypatch, PAGES[2], integration="crm-orders-to-erp", range=span)
        assert caption in texts(at), span


def test_integration_page_with_an_unknown_id_suggests_close_ones(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="inventory")
    message = at.error[0].value
    assert "No integration with id `inventory`" in message
    assert "`inventory-sync`" in message


def test_an_integration_seen_only_in_data_asks_to_be_inventoried(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2], integration="partner-shadow-feed")
    assert "is in no inventory file" in at.warning[0].value
    assert "**SLOs** none set" in texts(at)
    assert at.get("vega_lite_chart"), "its data is still charted"


def test_integration_page_without_an_id_offers_a_picker(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[2])
    assert "payments-webhook" in at.selectbox[0].options
    at.selectbox[0].select("payments-webhook").run()
    assert at.title[0].value == "Payment provider webhooks"


# -- inventory, owners, reports, sources --------------------------------------------------


def test_inventory_search_and_filters_narrow_the_list(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[3])
    everyone = len(table(at))
    at.text_input(key="q").input("SAP ERP").run()
    rows = table(at)
    assert 0 < len(rows) < everyone
    assert all(
        "SAP ERP" in (s, t)
        for s, t in zip(rows["source_system"], rows["target_system"], strict=True)
    )
    at.multiselect(key="pattern").select("batch").run()
    assert set(table(at)["pattern"]) == {"batch"}


def test_inventory_draws_the_flows_between_systems(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[3])
    dot = at.get("graphviz_chart")[0].proto.spec
    assert '"Manhattan WMS" -> "Web Shop" [label="inventory-sync", color="#d62728"' in dot
    assert any(b.proto.label.startswith("Download") for b in at.get("download_button"))


def test_owners_page_shows_teams_missing_owners_and_due_reviews(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[4])
    summary = table(at)
    assert {"finance", "logistics", "payments", "sales"} <= set(summary["team"])
    shown = texts(at)
    assert "Without an owner (0)" not in shown  # the demo source sends ids no inventory has
    assert "Past their sunset date" in shown and "Reviews overdue" in shown
    at.selectbox(key="team").select("payments").run()
    assert "Payment provider webhooks" in set(table(at, len(at.dataframe) - 1)["name"])


def test_reports_page_shows_the_written_report(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[5])
    assert "2026-W47" in set(table(at)["week"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Markdown", "HTML"]
    assert any("3 integrations degraded, 1 recovered." in m.value for m in at.markdown)


def test_sources_page_shows_runs_and_the_last_error(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[6])
    sources = table(at)
    assert sources["source"].tolist() == ["demo"]
    assert sources["last error"].iloc[0] == "1 integration failed"
    failures = table(at, 1)
    assert "legacy-ftp-drop: timed out after 10s" in failures["failed integrations"].tolist()


# -- findings and silences -----------------------------------------------------------------


def test_findings_severity_filter(demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(demo, monkeypatch, PAGES[1])
    assert len(table(at)) == 4
    at.multiselect(key="severity").select("warning").run()
    rows = table(at)
    assert [list(s) for s in rows["severity"]] == [["warning"], ["warning"]]
    open_only = open_page(demo, monkeypatch, PAGES[1], window="open")
    assert set(table(open_only)["status"]) == {"open"}


def test_silencing_a_finding_writes_a_silence_and_marks_it(
    demo: AppWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = clone(demo, tmp_path / "ws")
    at = open_page(ws, monkeypatch, PAGES[1])
    target = ws.findings[1]  # shipment-events DLQ
    at.selectbox(key="silence_finding").select(target.finding_id).run()
    at.text_input(key="silence_why").input("carrier outage, vendor ticket 4711")
    at.text_input(key="silence_who").input("priya")
    next(b for b in at.button if b.label == "Silence").click().run()
    assert not at.exception
    assert any(
        "Silenced detector=dlq_growth, integration_id=shipment-events, metric=dlq_depth" in s.value
        for s in at.success
    )
    rows = ws.store.query(
        "SELECT matchers, comment, author, ends_at - starts_at AS d FROM silences"
    )
    assert json.loads(rows["matchers"][0]) == {
        "integration_id": "shipment-events",
        "metric": "dlq_depth",
        "detector": "dlq_growth",
    }
    assert rows["comment"][0] == "carrier outage, vendor ticket 4711"
    assert rows["author"][0] == "priya"
    assert rows["d"][0].total_seconds() == 4 * 3600
    shown = table(at)
    silenced = dict(zip(shown["summary"], shown["silenced"], strict=True))
    assert silenced["DLQ never drains: 40 → 410 messages over 3 days"]
    assert not silenced["p95 latency up 64% week over week, 180 ms → 295 ms"]
    assert "carrier outage" in texts(at)  # listed under active silences
    next(b for b in at.button if b.label == "Expire").click().run()
    assert ws.store.scalar("SELECT count(*) FROM v_silences WHERE active") == 0


def test_a_silence_without_a_reason_is_refused(
    demo: AppWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = clone(demo, tmp_path / "ws")
    at = open_page(ws, monkeypatch, PAGES[1])
    at.selectbox(key="silence_finding").select(ws.findings[0].finding_id).run()
    at.text_input(key="silence_who").input("priya")
    next(b for b in at.button if b.label == "Silence").click().run()
    assert "Not silenced: say why" in at.error[0].value
    assert ws.store.scalar("SELECT count(*) FROM silences") == 0


# -- SQL -------------------------------------------------------------------------------------


def run_sql(at: AppTest, sql: str) -> AppTest:
    at.text_area(key="sql").input(sql)
    return next(b for b in at.button if b.label == "Run").click().run()


def test_sql_console_refuses_a_statement_that_writes(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = demo.store.scalar("SELECT count(*) FROM samples")
    at = open_page(demo, monkeypatch, PAGES[7])
    run_sql(at, "DELETE FROM samples")
    assert "Refused — refused: DELETE statements change things" in at.error[0].value
    run_sql(at, "SELECT 1; DROP TABLE samples")
    assert "refused: DROP statements change things" in at.error[0].value
    assert demo.store.scalar("SELECT count(*) FROM samples") == before


def test_sql_console_runs_a_query_with_table_chart_and_limit(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, PAGES[7])
    assert {"v_health", "v_findings", "v_samples"} <= {e.label for e in at.expander}
    run_sql(at, "SELECT health, count(*) AS n FROM v_health GROUP BY health ORDER BY n DESC")
    rows = table(at)
    assert rows["n"].sum() == 18 and "ok" in set(rows["health"])
    assert at.get("vega_lite_chart"), "results are charted too"
    at.number_input[0].set_value(5).run()
    run_sql(at, "SELECT * FROM v_integrations")
    assert len(table(at)) == 5
    assert "cut at the row limit of 5" in texts(at)
    run_sql(at, "SELECT nope FROM v_health")
    assert at.error[0].value.startswith("query failed:")


def test_sign_in_guards_the_app_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = empty_workspace(tmp_path)
    ws.config.write_text(ws.config.read_text() + "login = true\n", encoding="utf-8")
    at = open_page(ws, monkeypatch)
    shown = texts(at)
    assert "Fleet overview" not in shown
    assert "Authlib" in shown or "Sign in" in shown or "no sign-in provider" in shown


def test_overview_says_detection_is_still_running_before_the_first_pass(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh = clone(demo, tmp_path / "fresh")
    with fresh.store.write() as con:
        con.execute("DELETE FROM detector_runs")
    shown = texts(open_page(fresh, monkeypatch))
    assert "Detection is still running" in shown
    assert "Detection is still running" not in texts(open_page(demo, monkeypatch))


def test_a_silenced_finding_is_marked_muted_on_overview_and_integration(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from seamwatch.silences import add_silence

    ws = clone(demo, tmp_path / "muted")
    add_silence(
        ws.store,
        {"integration_id": "inventory-sync"},
        ends_at=ws.now + timedelta(days=2),
        comment="vendor fix deploying",
        author="ana",
        now=ws.now,
    )
    overview = texts(open_page(ws, monkeypatch))
    assert "silenced by ana until" in overview and "vendor fix deploying" in overview
    at = open_page(ws, monkeypatch, PAGES[2], integration="inventory-sync")
    findings = table(at)
    muted = findings.loc[findings["status"] == "open", "muted"].tolist()
    assert muted and muted[0].startswith("silenced by ana until")
    assert (
        findings.loc[findings["status"] == "open", "told"]
        .iloc[0]
        .startswith("open sent to logistics-slack")
    )


@pytest.mark.parametrize(
    "page", ["views/overview.py", "views/inventory.py", "views/sources.py", "views/findings.py"]
)
def test_tables_show_one_null_style_whole_tiers_and_headers_in_words(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    """Issue 15: "—" for every missing value, tiers as 1..4, no raw `source_system` headers."""
    at = open_page(demo, monkeypatch, page)
    assert at.dataframe, page
    for frame_el in at.dataframe:
        frame = frame_el.value
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object:
                shown = {str(v) for v in values if not isinstance(v, list | tuple)}
                assert not shown & {"None", "nan", "NaN", "n/a", "never", ""}, (page, column)
            if column == "tier":
                assert set(values) <= {"1", "2", "3", "4", "—"}, (page, set(values))
        labels = {
            str(c.get("label") or name)
            for name, c in json.loads(frame_el.proto.columns or "{}").items()
            if isinstance(c, dict)
        }
        assert "source_system" not in labels and "target_system" not in labels, labels
