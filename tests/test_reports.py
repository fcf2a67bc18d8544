"""The weekly review on the demo fleet: every scripted situation in its section, with its numbers.

Numbers are checked against the samples in the store with SQL written here, independently of the
report's own queries (raw `samples` table, not the views).
"""

from __future__ import annotations

import re
from datetime import datetime
from html.parser import HTMLParser

import pytest

from reports import Week, build_report, render_html, render_markdown, write_report
from seamwatch.metrics import format_value
from tests.reports_fixtures import BERLIN, NOW, W46, W47, DemoWorkspace


def sections(markdown: str) -> dict[str, str]:
    """Markdown split at its `## ` headings."""
    out: dict[str, str] = {}
    current = "_top"
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = ""
        else:
            out[current] = out.get(current, "") + line + "\n"
    return out


def line_with(text: str, needle: str) -> str:
    """The one line of `text` that mentions `needle`."""
    hits = [line for line in text.splitlines() if needle in line]
    assert hits, f"{needle!r} not found in:\n{text}"
    return hits[0]


def one(ws: DemoWorkspace, sql: str, params: list) -> float:  # type: ignore[type-arg]
    with ws.store.read() as con:
        return con.execute(sql, params).fetchone()[0]  # type: ignore[index]


def mean(ws: DemoWorkspace, iid: str, metric: str, week: tuple[datetime, datetime]) -> float:
    return one(
        ws,
        "SELECT avg(value) FROM samples WHERE integration_id = ? AND metric = ? AND ts >= ? AND ts < ?",
        [iid, metric, *week],
    )


def peak(ws: DemoWorkspace, iid: str, metric: str, week: tuple[datetime, datetime]) -> float:
    return one(
        ws,
        "SELECT max(value) FROM samples WHERE integration_id = ? AND metric = ? AND ts >= ? AND ts < ?",
        [iid, metric, *week],
    )


def failed_share(ws: DemoWorkspace, iid: str, week: tuple[datetime, datetime]) -> float:
    """Failed messages / all messages: error rate weighted by the throughput at each timestamp."""
    return one(
        ws,
        """
        SELECT sum(e.value * t.value) / sum(t.value)
        FROM samples e JOIN samples t
          ON t.integration_id = e.integration_id AND t.ts = e.ts AND t.metric = 'throughput'
        WHERE e.metric = 'error_rate' AND e.integration_id = ? AND e.ts >= ? AND e.ts < ?
        """,
        [iid, *week],
    )


@pytest.fixture(scope="module")
def written(demo_fleet: DemoWorkspace):
    return write_report(demo_fleet.settings, now=NOW)


@pytest.fixture(scope="module")
def md(written) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return sections(written.md_path.read_text(encoding="utf-8"))


def test_default_week_is_the_last_complete_one_in_the_configured_zone(written) -> None:  # type: ignore[no-untyped-def]
    assert written.md_path.name == "2026-W47.md"
    assert written.html_path.name == "2026-W47.html"
    text = written.md_path.read_text(encoding="utf-8")
    assert text.startswith("# Weekly review 2026-W47 (16–22 Nov 2026), fleet")
    assert "compared with 2026-W46" in text


def test_reports_go_to_data_reports_next_to_the_store_and_are_recorded(
    demo_fleet: DemoWorkspace,
    written,
) -> None:
    assert written.md_path.parent == demo_fleet.root / "data" / "reports"
    with demo_fleet.store.read() as con:
        row = con.execute(
            "SELECT week, team, md_path, html_path, written_at, summary FROM v_reports"
            " WHERE report_id = '2026-W47'"
        ).fetchone()
    assert row[:4] == ("2026-W47", None, str(written.md_path), str(written.html_path))
    assert row[4] == NOW
    assert "Weekly review 2026-W47" in row[5] and written.html_path.as_uri() in row[5]


def test_degraded_lists_new_findings_worst_first_with_their_numbers(
    demo_fleet: DemoWorkspace,
    md,
) -> None:
    degraded = [line for line in md["What degraded"].splitlines() if line.startswith("- ")]
    order = [re.search(r"\(([a-z0-9-]+)", line).group(1) for line in degraded[:5]]  # type: ignore[union-attr]
    # critical before warning; among equals the more critical tier, then the older finding
    assert order == [
        "payments-webhook", "pos-sales-stream", "crm-orders-to-erp", "inventory-sync",
        "shipment-events",
    ]  # fmt: skip

    errors = line_with(md["What degraded"], "payments-webhook")
    assert "**critical**" in errors and "error rate stepped from 0.2% to 1.5%" in errors
    before, after = (
        failed_share(demo_fleet, "payments-webhook", W46),
        failed_share(demo_fleet, "payments-webhook", W47),
    )
    assert after > 3 * before
    assert (
        f"error rate {format_value('error_rate', before)} → {format_value('error_rate', after)}"
        in errors
    )

    latency = line_with(md["What degraded"], "crm-orders-to-erp")
    p95_last = mean(demo_fleet, "crm-orders-to-erp", "latency_p95_ms", W46)
    p95_this = mean(demo_fleet, "crm-orders-to-erp", "latency_p95_ms", W47)
    assert 1.15 < p95_this / p95_last < 1.3  # the scripted ~20% a week
    assert f"p95 latency {p95_last:,.0f} ms → {p95_this:,.0f} ms" in latency
    assert f"({(p95_this / p95_last - 1) * 100:+.0f}%)" in latency

    dlq = line_with(md["What degraded"], "shipment-events")
    assert f"→ {peak(demo_fleet, 'shipment-events', 'dlq_depth', W47):,.0f} msgs" in dlq

    halved = line_with(md["What degraded"], "inventory-sync")
    thr_last = mean(demo_fleet, "inventory-sync", "throughput", W46)
    thr_this = mean(demo_fleet, "inventory-sync", "throughput", W47)
    assert thr_this < 0.85 * thr_last
    assert (
        f"throughput {format_value('throughput', thr_last)} → {format_value('throughput', thr_this)}"
        in halved
    )

    assert "Still open from earlier weeks" in md["What degraded"]
    assert "fraud-score-api" in line_with(md["What degraded"], "creeping up 4%")


def test_recovered_lists_resolved_findings_with_how_long_they_lasted(md) -> None:  # type: ignore[no-untyped-def]
    line = line_with(md["What recovered"], "carrier-rates-api")
    assert "error rate up from 0.2% to 0.6%" in line
    assert "Resolved Tue 17 Nov 13:00" in line  # 12:00 UTC shown in Berlin time
    assert "after 7d4h" in line


def test_summary_counts_findings_and_notifications_of_both_weeks(md) -> None:  # type: ignore[no-untyped-def]
    summary = md["Summary"]
    assert (
        "5 began (last week 1), 1 resolved (last week 0), 6 still open at the end of the week (a week earlier 2)"
        in summary
    )
    # the test message is not an alert; failed and undelivered both count as undelivered
    assert "3 sent (last week 2), 2 undelivered (last week 0)" in summary
    assert "17 in the inventory, 1 more seen only in data" in summary
    assert (
        "Health at the end of the week: 1 failing, 1 no data, 3 degrading, 11 ok, 2 not live"
        in summary
    )
    assert "| tier 1 | 1 | 0 | 2 | 2 | 0 | 5 |" in summary
    assert "| payments | 1 | 0 | 0 | 2 | 0 | 3 |" in summary


def test_per_integration_table_shows_this_week_last_week_and_coverage(
    demo_fleet: DemoWorkspace,
    md,
) -> None:
    table = md["Per integration"]
    row = line_with(table, "(crm-orders-to-erp)")
    p95_last = mean(demo_fleet, "crm-orders-to-erp", "latency_p95_ms", W46)
    p95_this = mean(demo_fleet, "crm-orders-to-erp", "latency_p95_ms", W47)
    assert f"| {p95_this:,.0f} ms ({p95_last:,.0f} ms) |" in row
    thr = mean(demo_fleet, "crm-orders-to-erp", "throughput", W47)
    assert f"| {format_value('throughput', thr)} (" in row

    stopped = line_with(table, "(pos-sales-stream)")
    hours = one(
        demo_fleet,
        "SELECT count(DISTINCT date_trunc('hour', ts)) FROM samples"
        " WHERE integration_id = 'pos-sales-stream' AND ts >= ? AND ts < ?",
        list(W47),
    )
    assert hours < 168
    assert f"| {hours / 168:.0%} |" in stopped
    assert (
        f"Reported for only part of the week: pos-sales-stream ({hours / 168:.0%})." in md["_top"]
    )
    assert "no data" in stopped

    for planned_or_retired in ("(returns-portal-api)", "(legacy-edi-orders)"):
        assert "| not live | — |" in line_with(table, planned_or_retired)

    shadow = line_with(table, "(partner-shadow-feed)")
    assert "not inventoried" in shadow


def test_slo_compliance_shows_share_within_slo_and_error_budget(
    demo_fleet: DemoWorkspace,
    md,
) -> None:
    row = line_with(md["SLO compliance"], "(payments-webhook)")
    within = one(
        demo_fleet,
        "SELECT avg((value <= 0.005)::INT) FROM samples WHERE integration_id = 'payments-webhook'"
        " AND metric = 'error_rate' AND ts >= ? AND ts < ?",
        list(W47),
    )
    assert f"| {within * 100:.1f}% |" in row
    used = failed_share(demo_fleet, "payments-webhook", W47) / 0.005
    assert used > 1
    assert f"overspent ({used:.1f}× the budget)" in row
    healthy = line_with(md["SLO compliance"], "(fraud-score-api)")
    left = 1 - failed_share(demo_fleet, "fraud-score-api", W47) / 0.01
    assert healthy.endswith(f"| {left * 100:.0f}% |")


def test_biggest_changes_are_charted(md, written) -> None:  # type: ignore[no-untyped-def]
    changes = md["Biggest changes week over week"]
    rows = [line for line in changes.splitlines() if line.startswith("| ")][1:]
    first = rows[0]
    assert "(shipment-events)" in first and "DLQ depth" in first and "(worse)" in first
    for iid in ("payments-webhook", "inventory-sync", "crm-orders-to-erp"):
        assert f"({iid})" in changes
    html = written.html_path.read_text(encoding="utf-8")
    assert html.count('<svg class="chart"') == len(written.report.changes) >= 4
    assert 'aria-label="Carrier shipment events: DLQ depth, this week vs last week"' in html


def test_governance_names_reviews_owners_sunsets_unknown_ids_and_failed_sources(md) -> None:  # type: ignore[no-untyped-def]
    gov = md["Governance"]
    assert "hr-employee-sync, due 2025-08-13" in line_with(gov, "Review overdue")
    assert "marketing-leads-import" in line_with(gov, "No owner")
    sunset = line_with(gov, "Past sunset but still carrying traffic")
    assert "legacy-soap-pricing, deprecated, sunset 2026-09-30" in sunset
    assert "partner-shadow-feed (100% of the week" in line_with(gov, "not inventoried")
    sources = line_with(gov, "Sources that failed")
    assert "prom-main (prometheus: 2 failed and 1 partial of 4 runs" in sources
    assert "last Thu 19 Nov 10:00: empty result" in sources  # the newest failure, Berlin time
    assert "missed payments-webhook" in sources
    # planned and retired integrations without data are not "silent"
    assert "Active but no data" not in gov


def test_fleet_report_has_one_section_per_owner_team(md) -> None:  # type: ignore[no-untyped-def]
    teams = [name for name in md if name.startswith("Team ")]
    assert teams == ["Team finance", "Team logistics", "Team payments", "Team people", "Team sales"]
    payments = md["Team payments"]
    assert "(payments-webhook)" in payments and "(crm-orders-to-erp)" not in payments
    assert "error rate stepped" in payments
    assert "prom-main" in payments  # the source missed one of theirs
    assert "prom-main" not in md["Team people"] or "failed" in md["Team people"]


def test_team_report_holds_only_that_teams_integrations(demo_fleet: DemoWorkspace) -> None:
    w = write_report(demo_fleet.settings, now=NOW, team="logistics")
    assert w.md_path.name == "2026-W47-logistics.md" and w.html_path.exists()
    text = w.md_path.read_text(encoding="utf-8")
    assert text.startswith("# Weekly review 2026-W47 (16–22 Nov 2026), team logistics")
    for iid in ("shipment-events", "inventory-sync", "carrier-rates-api"):
        assert f"({iid})" in text
    for other in (
        "payments-webhook",
        "crm-orders-to-erp",
        "partner-shadow-feed",
        "hr-employee-sync",
    ):
        assert other not in text
    assert "## Team " not in text
    with demo_fleet.store.read() as con:
        assert con.execute(
            "SELECT team FROM v_reports WHERE report_id = '2026-W47-logistics'"
        ).fetchone() == ("logistics",)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def test_html_parses_and_has_no_external_references(written) -> None:  # type: ignore[no-untyped-def]
    html = written.html_path.read_text(encoding="utf-8")
    parser = _Assets()
    parser.feed(html)
    parser.close()
    assert parser.tags[0] == "html" and "svg" in parser.tags and "table" in parser.tags
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(parser.tags)
    assert not [a for a in parser.attrs if a[1] in ("src", "srcset", "poster", "data")]
    assert "url(" not in html and "@import" not in html
    links = [v for tag, k, v in parser.attrs if k == "href"]
    assert links and all(v and v.startswith("https://runbooks.example.com/") for v in links)
    assert parser.style.strip()  # the CSS is inline


def test_report_for_a_named_week_and_its_week_before(demo_fleet: DemoWorkspace) -> None:
    report = build_report(demo_fleet.store, Week.parse("2026-W46", BERLIN), now=NOW)
    text = render_markdown(report)
    assert "Weekly review 2026-W46 (9–15 Nov 2026)" in text
    # W45 started on 2 Nov 00:00 Berlin, the demo one hour later: a partly covered comparison
    assert "No samples for the week before" not in text
    assert render_html(report).count("<svg") > 0
