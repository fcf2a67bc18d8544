"""`seamwatch report`: write the weekly review (Markdown and HTML) and optionally post it.

This is where the two stages meet: `reports` writes the review and says what its summary is,
the alerts stage posts it through its outbox and channels (`alerts.posts`).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from alerts.base import Channel
from alerts.posts import PostError, post_channel, send_post
from cli.common import Context, say
from reports import (
    ReportError,
    Week,
    Written,
    announcement,
    mark_posted,
    report_settings,
    write_report,
)
from seamwatch.config import Settings
from seamwatch.errors import SeamwatchError
from seamwatch.stage import Announcement
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
    store = Store.from_settings(settings)
    try:
        send_post(settings, channel, announcement(written), now, store=store)
    except PostError as exc:
        raise ReportError(f"report {report_id} written, but posting failed: {exc}") from None
    mark_posted(store, report_id, now)


def announcer(settings: Settings) -> Callable[[Announcement], bool]:
    """For the daemon (`Runtime.announce`): post a stage's announcement to the review's channel
    through the alerts stage; a failure is logged (the review itself is written)."""

    def announce(post: Announcement) -> bool:
        try:
            send_post(settings, report_channel(settings), post, utcnow())
        except SeamwatchError as exc:
            log.error("%s: posting failed: %s", post.key, exc)
            return False
        return True

    return announce
