"""Write a report's files, record it in the `reports` table, and say what its chat post says.

The post itself is the alerts stage's (its outbox and channels); `reports` may not import it, so
it hands out the summary as plain lines and a link (`Written.summary_lines`, `Written.url`), the
composition root (`cli/report.py`) posts them, and `mark_posted` stamps the report's row.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reports import queries
from reports.build import build_report
from reports.model import Report
from reports.render import render_html, render_markdown
from reports.schedule import report_trigger
from reports.settings import ReportSettings, report_settings
from reports.weeks import Week, WeekError
from seamwatch.config import Settings
from seamwatch.errors import SeamwatchError, StoreMissing
from seamwatch.metrics import METRIC_INFO, Metric
from seamwatch.scorecard import load_scorecard_settings
from seamwatch.stage import Announcement
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc, utcnow

log = logging.getLogger(__name__)


class ReportError(SeamwatchError):
    """A report could not be written or posted."""


@dataclass(frozen=True)
class Written:
    """A report on disk and in the store."""

    report: Report
    md_path: Path
    html_path: Path
    summary: str
    url: str
    summary_lines: tuple[str, ...] = ()


def write_report(
    settings: Settings,
    *,
    week: Week | None = None,
    team: str | None = None,
    out_dir: Path | None = None,
    now: datetime | None = None,
    store: Store | None = None,
) -> Written:
    """Build and write one report (default: the last complete week) and record it."""
    rs = report_settings(settings)
    now = ensure_utc(now or utcnow())
    week = week or Week.last_complete(now, rs.zone)
    if week.start > now:
        raise WeekError(
            f"week {week.label} has not started yet (it starts "
            f"{week.start.astimezone(rs.zone):%a %d %b %Y %H:%M} {rs.timezone})"
        )
    store = store or Store.from_settings(settings)
    if not store.exists():  # do not create an empty store just to report that it is empty
        raise StoreMissing(
            f"no store at {store.path}: run `seamwatch demo` to seed one, or `seamwatch run` to collect"
        )
    store.migrate()
    report = build_report(
        store,
        week,
        now=now,
        team=team,
        top_n=rs.top_n,
        scorecard=load_scorecard_settings(settings),
    )
    target = (out_dir or rs.out_dir(settings)).resolve()
    try:
        target.mkdir(parents=True, exist_ok=True)
        md_path = _write(target / f"{report.report_id}.md", render_markdown(report))
        html_path = _write(target / f"{report.report_id}.html", render_html(report))
    except OSError as exc:
        raise ReportError(f"cannot write the report to {target}: {exc.strerror or exc}") from None
    url = report_url(rs, html_path)
    lines = tuple(summary_lines(report))
    summary = "\n".join([*lines, f"Full report: {url}"])
    with store.write() as con:
        con.execute(
            queries.UPSERT_REPORT,
            {
                "report_id": report.report_id,
                "week": week.label,
                "team": team,
                "md_path": str(md_path),
                "html_path": str(html_path),
                "written_at": now,
                "summary": summary,
            },
        )
    log.info("report %s written to %s", report.report_id, html_path)
    return Written(report, md_path, html_path, summary, url, lines)


def announcement(written: Written) -> Announcement:
    """The review's chat summary as the roots hand it to the alerts stage: plain lines, a link."""
    report = written.report
    return Announcement(
        f"report:{report.report_id}",
        report.title,
        written.summary_lines,
        written.url,
        "Full report",
    )


def mark_posted(store: Store, report_id: str, now: datetime) -> None:
    """Stamp a report's row as posted (the dashboard shows when)."""
    with store.write() as con:
        con.execute(queries.MARK_POSTED, {"posted_at": now, "report_id": report_id})


def report_url(rs: ReportSettings, html_path: Path) -> str:
    """Where readers open the report: under `link_base` when the dir is served, else a file URL."""
    if rs.link_base:
        return f"{rs.link_base.rstrip('/')}/{html_path.name}"
    return html_path.as_uri()


def summary_lines(report: Report) -> list[str]:
    """The short chat summary as plain lines (the channel escapes them): health, findings, the
    worst new problem, governance; the link to the full report is added by the post."""
    lines = [f"{report.title}."]
    if report.team is not None and not report.integrations:
        lines.append(f"Team {report.team} has no integrations.")
    elif report.integrations:
        health = ", ".join(f"{n} {h}" for h, n in report.by_health())
        lines.append(
            f"{len(report.integrations)} integrations, health {report.health_when}: {health}."
        )
    c, last = report.counts, report.counts_last
    lines.append(
        f"Findings: {c.opened} opened (last week {last.opened}), {c.resolved} resolved, "
        f"{c.open_at_end} open at the end of the week. Notifications: {c.sent} sent, "
        f"{c.undelivered} undelivered."
    )
    if report.degraded:
        worst = report.degraded[0]
        lines.append(
            f"Worst new: {worst.severity} {worst.name or worst.integration_id}: {worst.summary}"
        )
    elif report.changes:
        top = report.changes[0]
        label = METRIC_INFO[Metric(top.metric)].label
        lines.append(f"Biggest change: {top.name} {label} ({top.numbers.direction}).")
    g = report.governance
    chores = [
        (len(g.review_overdue), "review overdue", "reviews overdue"),
        (len(g.no_owner), "without an owner", "without an owner"),
        (len(g.past_sunset), "past sunset with traffic", "past sunset with traffic"),
        (len(g.not_inventoried), "not inventoried", "not inventoried"),
        (len(g.failed_sources), "source failed", "sources failed"),
    ]
    todo = [f"{n} {one if n == 1 else many}" for n, one, many in chores if n]
    if todo:
        lines.append("Governance: " + ", ".join(todo) + ".")
    lines.extend(report.notes)
    return lines


def run_scheduled(settings: Settings, *, now: datetime | None = None) -> list[Written]:
    """The scheduler job: the last complete week (and each team's part); the fleet report is
    first (the composition root posts its summary)."""
    rs = report_settings(settings)
    now = ensure_utc(now or utcnow())
    store = Store.from_settings(settings)
    fleet = write_report(settings, now=now, store=store)
    written = [fleet]
    if rs.per_team:
        for team in fleet.report.known_teams:
            written.append(write_report(settings, team=team, now=now, store=store))
    return written


def catch_up(settings: Settings, *, now: datetime | None = None) -> list[Written]:
    """At daemon start: write the last complete week if its scheduled run was missed.

    The cron job only fires while the daemon runs; a daemon that was down on Monday morning
    would otherwise skip that week's review altogether.
    """
    rs = report_settings(settings)
    now = ensure_utc(now or utcnow())
    if not rs.schedule:
        return []
    week = Week.last_complete(now, rs.zone)
    due = report_trigger(rs).get_next_fire_time(None, week.end)
    if due is None or now < due:
        return []  # the regular run is still ahead
    store = Store.from_settings(settings)
    if store.exists():
        with store.read() as con:
            done = con.execute(
                "SELECT count(*) FROM v_reports WHERE week = ? AND team IS NULL", [week.label]
            ).fetchone()
        if done and done[0]:
            return []
    log.info("the scheduled report of %s was missed; writing it now", week.label)
    return run_scheduled(settings, now=now)


def _write(path: Path, text: str) -> Path:
    """Write a file atomically, so a reader never opens half a report."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
