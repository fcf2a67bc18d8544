"""`seamwatch report`: write the weekly review (Markdown and HTML) and optionally post it.

This is where the two stages meet: `reports` writes the review and says what its summary is,
the alerts stage posts it through its outbox and channels (`alerts.posts`).
"""

from __future__ import annotations

import argparse
import logging
from datetime import datetime, timedelta
from pathlib import Path

from alerts.base import Channel
from alerts.posts import Post, PostError, post_channel, send_post
from cli.common import Context, say
from reports import (
    ReportError,
    Week,
    Written,
    catch_up,
    mark_posted,
    report_settings,
    run_scheduled,
    write_report,
)
from reports.schedule import report_trigger
from reports.stage import CATCH_UP_POLL, after_first_detection
from seamwatch.config import Settings
from seamwatch.errors import SeamwatchError
from seamwatch.stage import Job, Runtime
from seamwatch.store import Store
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "report",
        parents=[common],
        description="Write the weekly review of one ISO week, compared with the week before, as "
        "YYYY-Www.md and YYYY-Www.html (YYYY-Www-<team>.* with --team) in [reports] dir, and "
        "record it in the reports table. Default week: the last complete one in [reports] timezone.",
        epilog="examples:\n  seamwatch report\n  seamwatch report --week 2026-W47 --team payments"
        "\n  seamwatch report --out /tmp/review --post",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47")
    parser.add_argument("--team", metavar="NAME", help="only this owner team's integrations")
    parser.add_argument("--out", metavar="DIR", type=Path, help="directory (default [reports] dir)")
    parser.add_argument(
        "--post", action="store_true", help="post the short summary to [reports] post_url"
    )
    return parser


def run(ctx: Context) -> int:
    settings = ctx.settings
    rs = report_settings(settings)
    now = utcnow()
    week = Week.parse(ctx.args.week, rs.zone) if ctx.args.week else None
    # Refuse what cannot work before writing anything, so a failed run leaves no half-result.
    channel = report_channel(settings) if ctx.args.post else None
    if ctx.args.team is not None:
        teams = sorted({i.owner for i in ctx.inventory if i.owner})
        if ctx.args.team not in teams:
            raise SeamwatchError(
                f"--team {ctx.args.team!r}: no such owner in the inventory "
                f"(known teams: {', '.join(teams) or 'none'})"
            )
    written = write_report(settings, week=week, team=ctx.args.team, out_dir=ctx.args.out, now=now)
    for note in written.report.notes:
        say(f"note: {note}")
    say(f"wrote {written.md_path}")
    say(f"wrote {written.html_path}")
    if channel is not None:
        post_report(settings, written, channel, now)
        say(f"posted the summary to {rs.chat_route or 'the report webhook'}")
    return 0


def report_channel(settings: Settings) -> Channel:
    """The channel the review's summary goes to: `[reports] post_url` (of `post_format`), else
    the `[alerts.channels]` channel `[reports] chat_route` names."""
    rs = report_settings(settings)
    if rs.post_url is None and rs.chat_route is None:
        raise SeamwatchError(
            'posting needs [reports] post_url (e.g. post_url = "${REPORT_WEBHOOK}") in '
            f"{settings.config_path}; nothing was written"
        )
    name = rs.chat_route or "reports"
    key = "reports.post_url" if rs.post_url is not None else "reports.chat_route"
    return post_channel(settings, name, rs.post_url, rs.post_format, key=key)


def post_report(settings: Settings, written: Written, channel: Channel, now: datetime) -> None:
    """Hand the review's summary to the alerts stage; stamp the report posted when it went out."""
    report_id = written.report.report_id
    post = Post(written.report.title, written.summary_lines, written.url, "Full report")
    store = Store.from_settings(settings)
    try:
        send_post(settings, channel, post, f"report:{report_id}", now, store=store)
    except PostError as exc:
        raise ReportError(f"report {report_id} written, but posting failed: {exc}") from None
    mark_posted(store, report_id, now)


def scheduled(settings: Settings, *, now: datetime | None = None) -> list[Written]:
    """The daemon's weekly job: write the review(s), then post the fleet summary if configured."""
    now = now or utcnow()
    return _posted(settings, run_scheduled(settings, now=now), now)


def scheduled_catch_up(settings: Settings, *, now: datetime | None = None) -> list[Written]:
    """At daemon start: write (and post) a week whose scheduled run was missed."""
    now = now or utcnow()
    return _posted(settings, catch_up(settings, now=now), now)


def _posted(settings: Settings, written: list[Written], now: datetime) -> list[Written]:
    rs = report_settings(settings)
    if written and (rs.post_url is not None or rs.chat_route is not None):
        try:
            post_report(settings, written[0], report_channel(settings), now)
        except SeamwatchError as exc:  # the review is written; a failed post is logged
            log.error("%s", exc)
    return written


def jobs(runtime: Runtime) -> list[Job]:
    """The weekly review at `[reports] schedule_day`/`schedule_time` in its time zone, plus a
    catch-up for a week whose scheduled run the daemon missed, once the first detection pass
    has finished (a review written before it would call every integration healthy). Composed
    here because each writes with reports and posts through alerts."""
    settings = runtime.settings
    rs = report_settings(settings)
    if not rs.schedule:
        return []
    return [
        Job(
            "report",
            lambda: scheduled(settings),
            timedelta(weeks=1),
            run_now=False,
            trigger=report_trigger(rs),
        ),
        Job(
            "report-catch-up",
            after_first_detection(runtime.store, lambda: scheduled_catch_up(settings)),
            CATCH_UP_POLL,
        ),
    ]
