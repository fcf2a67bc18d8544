"""A review of a past week says how things stood when that week ended, not how they stand now;
the review of the week in progress still says "now" (v_health). Real DuckDB files throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from detectors import kind_of
from reports import Week, build_report, render_markdown, write_report
from seamwatch.config import load_settings
from seamwatch.inventory import load_inventory
from seamwatch.store import Store
from tests.conftest import Workspace
from tests.test_reports import line_with, sections

UTC_ZONE = ZoneInfo("UTC")
W47 = Week.parse("2026-W47", UTC_ZONE)  # Mon 16 Nov .. Mon 23 Nov 2026, 00:00 UTC
W48 = W47.next()
NOW = datetime(2026, 11, 25, 10, tzinfo=UTC)  # Wednesday of W48: W47 is over, W48 is not
END_OF_W47 = W47.end - timedelta(microseconds=1)  # the week's last instant
STEP = timedelta(minutes=10)
PAUSE, RESUME = W47.end - timedelta(hours=3), W47.end + timedelta(hours=2)  # payments-webhook

LATE_STARTER = """
[[integration]]
id = "late-starter"
name = "Late starter"
owner = "logistics"
chat_route = "logistics"
source_system = "WMS"
target_system = "Carrier"
pattern = "batch"
tier = 3
"""


def throughput(iid: str, start: datetime, end: datetime) -> pd.DataFrame:
    """One throughput sample every 10 minutes in [start, end)."""
    ts = pd.date_range(start, end, freq=STEP, inclusive="left")
    return pd.DataFrame({"ts": ts, "integration_id": iid, "metric": "throughput", "value": 5.0})


def add_finding(
    store: Store,
    finding_id: str,
    iid: str,
    severity: str,
    summary: str,
    first_seen: datetime,
    resolved_at: datetime | None = None,
    detector: str = "trend",
    onset: datetime | None = None,
) -> None:
    with store.write() as con:
        con.execute(
            "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
            " severity, summary, evidence, status, first_seen, last_seen, resolved_at, onset, kind)"
            " VALUES (?, ?, ?, 'latency_p95_ms', ?, ?, ?, '{}', ?, ?, ?, ?, ?, ?)",
            [finding_id, f"fp-{finding_id}", iid, detector, severity, summary,
             "resolved" if resolved_at else "open", first_seen, resolved_at or NOW, resolved_at,
             onset or first_seen, kind_of(detector).value],
        )  # fmt: skip


def health(store: Store, sql: str, params: list | None = None) -> dict[str, str]:  # type: ignore[type-arg]
    frame = store.query(f"SELECT integration_id, health FROM {sql}", params or [])
    return dict(zip(frame["integration_id"], frame["health"], strict=True))


@pytest.fixture
def story(workspace: Workspace) -> Store:
    """Three integrations whose health changed after W47 ended.

    crm-orders-to-erp degraded on Wednesday of W47 and recovered on Tuesday of W48 (ok now);
    payments-webhook was fine in W47 (but sent nothing from Sunday 21:00 to Monday 02:00) and
    started failing on Tuesday of W48; late-starter sent its first sample on Monday of W48.
    Samples up to NOW, rolled up as the daemon would.
    """
    workspace.write("inventory/logistics.toml", LATE_STARTER)
    settings = load_settings(workspace.config)
    store = Store.from_settings(settings)
    store.migrate()
    store.sync_inventory(load_inventory(settings.inventory.paths, settings.base_dir), NOW)
    store.write_samples(
        pd.concat(
            [
                throughput("crm-orders-to-erp", W47.previous().start, NOW),
                throughput("payments-webhook", W47.previous().start, PAUSE),
                throughput("payments-webhook", RESUME, NOW),
                throughput("late-starter", W48.start + timedelta(hours=6), NOW),
            ]
        )
    )
    store.rollup()
    add_finding(store, "crm", "crm-orders-to-erp", "warning", "p95 latency up 23% week over week",
                datetime(2026, 11, 18, 10, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC))  # fmt: skip
    add_finding(store, "pay", "payments-webhook", "critical", "error rate stepped from 0.2% to 1.5%",
                datetime(2026, 11, 24, 14, tzinfo=UTC))  # fmt: skip
    return store


def test_past_week_review_shows_health_at_the_end_of_that_week(
    workspace: Workspace, story: Store
) -> None:
    assert health(story, "v_health") == {
        "crm-orders-to-erp": "ok",
        "payments-webhook": "failing",
        "late-starter": "ok",
    }
    written = write_report(load_settings(workspace.config), week=W47, now=NOW, store=story)
    md = sections(written.md_path.read_text(encoding="utf-8"))

    summary = md["Summary"]
    assert "Health at the end of the week: 1 degrading, 1 unmonitored, 1 ok." in summary
    assert "Health now" not in written.md_path.read_text(encoding="utf-8")
    table = md["Per integration"]
    assert "| Health at the end of the week |" in table
    assert "| degrading |" in line_with(table, "(crm-orders-to-erp)")
    assert "| ok |" in line_with(table, "(payments-webhook)")  # its failure came after W47
    assert "| unmonitored |" in line_with(table, "(late-starter)")  # no sample before W48
    html = written.html_path.read_text(encoding="utf-8")
    assert "<th>Health at the end of the week</th>" in html
    assert 'class="health h-degrading">degrading<' in html


def test_past_week_review_does_not_know_resolves_that_came_after_it(
    workspace: Workspace, story: Store
) -> None:
    report = build_report(story, W47, now=NOW)
    md = sections(render_markdown(report))
    degraded = line_with(md["What degraded"], "crm-orders-to-erp")
    assert "Began Wed 18 Nov 10:00." in degraded  # not "resolved Tue 24 Nov": unknown then
    assert "Nothing recovered this week" in md["What recovered"]
    assert report.counts.open_at_end == 1
    assert "error rate stepped" not in render_markdown(report)  # opened after the week


def test_a_degradation_belongs_to_the_week_it_began_even_when_detected_later(
    story: Store,
) -> None:
    began, detected = datetime(2026, 11, 20, 15, tzinfo=UTC), datetime(2026, 11, 24, 8, tzinfo=UTC)
    add_finding(story, "slow", "late-starter", "warning", "p95 latency rising 20%/week",
                detected, onset=began)  # fmt: skip
    w47 = sections(render_markdown(build_report(story, W47, now=NOW)))
    line = line_with(w47["What degraded"], "late-starter")
    assert "Began Fri 20 Nov 15:00, detected Tue 24 Nov 08:00." in line
    w48 = sections(render_markdown(build_report(story, W48, now=NOW)))["What degraded"]
    new, still_open = w48.split("Still open from earlier weeks")
    assert "late-starter" not in new
    assert "late-starter" in line_with(still_open, "late-starter")
    assert "Since Fri 20 Nov 15:00." in line_with(still_open, "late-starter")
    # a review written before it was detected cannot know it
    early = build_report(story, W47, now=W47.end + timedelta(hours=1))
    assert "late-starter" not in sections(render_markdown(early))["What degraded"]


def test_the_review_shows_summaries_in_its_own_zone(story: Store) -> None:
    berlin = Week.parse("2026-W47", ZoneInfo("Europe/Berlin"))
    add_finding(story, "step", "late-starter", "warning",
                "p95 latency stepped up at 2026-11-18 10:00 UTC, 12 h ago",
                datetime(2026, 11, 18, 22, tzinfo=UTC))  # fmt: skip
    md = render_markdown(build_report(story, berlin, now=NOW))
    assert "stepped up at 2026-11-18 11:00 CET, 12 h ago." in md
    assert "10:00 UTC" not in md


def test_review_of_the_week_in_progress_still_shows_health_now(story: Store) -> None:
    report = build_report(story, W48, now=NOW)
    assert report.in_progress
    shown = {i.id: (i.health, i.reason) for i in report.integrations}
    now = story.query("SELECT integration_id, health, reason FROM v_health")
    assert shown == {
        r.integration_id: (r.health, None if pd.isna(r.reason) else r.reason)
        for r in now.itertuples()
    }
    md = sections(render_markdown(report))
    assert "Health now: 1 failing, 2 ok." in md["Summary"]
    assert "| Health now |" in md["Per integration"]
    recovered = line_with(md["What recovered"], "crm-orders-to-erp")
    assert "Resolved Tue 24 Nov 09:00 after 5d23h" in recovered


def test_health_at_applies_the_rules_to_findings_open_at_that_moment(story: Store) -> None:
    at = "health_at(t := ?)"
    assert health(story, at, [END_OF_W47]) == {
        "crm-orders-to-erp": "degrading",  # open then, resolved after
        "payments-webhook": "ok",  # opened after
        "late-starter": "unmonitored",  # first sample after
    }
    # the boundaries are instants: open from first_seen on, closed from resolved_at on
    assert health(story, at, [datetime(2026, 11, 18, 10, tzinfo=UTC)])["crm-orders-to-erp"] == (
        "degrading"
    )
    assert health(story, at, [datetime(2026, 11, 18, 9, 59, tzinfo=UTC)])["crm-orders-to-erp"] == (
        "ok"
    )
    assert health(story, at, [datetime(2026, 11, 24, 9, tzinfo=UTC)])["crm-orders-to-erp"] == "ok"
    assert health(story, at, [NOW]) == health(story, "v_health")
    reason = story.scalar(
        "SELECT reason FROM health_at(t := ?) WHERE integration_id = 'crm-orders-to-erp'",
        [END_OF_W47],
    )
    assert reason == "p95 latency up 23% week over week"


def test_health_at_reads_freshness_at_that_moment_from_rollups_and_raw_samples(
    story: Store,
) -> None:
    """payments-webhook paused three hours before the end of W47 and came back after it: its
    last sample then is the one before the pause, found in the hourly rollups when they are
    current (raw samples only cover the last hour) and in raw samples when they are not."""

    def fresh() -> dict[str, tuple[datetime | None, int | None]]:
        frame = story.query(
            "SELECT integration_id, last_sample, last_sample_age_seconds FROM health_at(t := ?)",
            [END_OF_W47],
        )
        return {
            r.integration_id: (
                None if pd.isna(r.last_sample) else r.last_sample.to_pydatetime(),
                None if pd.isna(r.last_sample_age_seconds) else int(r.last_sample_age_seconds),
            )
            for r in frame.itertuples()
        }

    def age(ts: datetime) -> int:
        return round((END_OF_W47 - ts).total_seconds())

    expected = {
        "crm-orders-to-erp": (W47.end - STEP, age(W47.end - STEP)),  # Sunday 23:50
        "payments-webhook": (PAUSE - STEP, age(PAUSE - STEP)),  # Sunday 20:50
        "late-starter": (None, None),
    }
    assert fresh() == expected  # rollups are current: they serve the hours before the last
    # a late sample lands in the hour before the pause: that hour is not rolled up any more
    # (a replayed batch that adds nothing leaves the rollups current and marks nothing)
    late = PAUSE - timedelta(minutes=55)
    story.write_samples(throughput("payments-webhook", late, late + timedelta(minutes=1)))
    assert story.scalar("SELECT count(*) FROM rollup_dirty") == 1
    assert fresh() == expected


def test_v_health_is_unchanged_by_health_at(story: Store) -> None:
    """v_health, now defined by health_at(), says exactly what migration 010's view said."""
    old = Path(__file__).resolve().parents[1] / "seamwatch/store/migrations/010_findings.sql"
    view = old.read_text(encoding="utf-8").split("CREATE OR REPLACE VIEW v_health AS", 1)[1]
    columns = "integration_id, health, reason, open_findings, last_sample"
    add_finding(story, "nd", "late-starter", "critical", "no samples for 30 minutes",
                NOW - timedelta(hours=1), detector="no_data")  # fmt: skip
    with story.read() as con:
        before = con.execute(f"SELECT {columns} FROM ({view.rstrip().rstrip(';')}) ORDER BY 1").df()
        after = con.execute(f"SELECT {columns} FROM v_health ORDER BY 1").df()
    pd.testing.assert_frame_equal(before, after)
    assert set(after["health"]) == {"ok", "failing", "no data"}


def test_health_at_finds_a_sample_days_before_that_moment_past_a_silent_day(
    story: Store,
) -> None:
    """A feed silent for the last three days of W47 (and sending again after it) was last seen
    three days before its end: found in the hourly rollups, then (once a late sample lands two
    days before the end, not rolled up yet) in raw samples, then in the rollups again."""
    silent_from = W47.end - timedelta(days=3)
    story.write_samples(
        pd.concat(
            [
                throughput("quiet-feed", W47.start, silent_from),
                throughput("quiet-feed", W47.end + timedelta(hours=1), NOW),
            ]
        )
    )
    story.rollup()

    def last_seen() -> datetime:
        frame = story.query(
            "SELECT last_sample FROM health_at(t := ?) WHERE integration_id = 'quiet-feed'",
            [END_OF_W47],
        )
        return frame["last_sample"].iloc[0].to_pydatetime()

    assert last_seen() == silent_from - STEP
    late = W47.end - timedelta(days=2, minutes=7)
    story.write_samples(throughput("quiet-feed", late, late + timedelta(minutes=1)))
    assert story.scalar("SELECT count(*) FROM rollup_dirty") == 1
    assert last_seen() == late
    story.rollup()
    assert last_seen() == late
