"""`seamwatch report`: write the weekly review (Markdown and HTML) and optionally post it."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.common import Context, say
from reports import Week, post_report, report_settings, write_report
from seamwatch.errors import SeamwatchError
from seamwatch.timeutil import utcnow


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
    if ctx.args.post and rs.post_url is None:
        raise SeamwatchError(
            'posting needs [reports] post_url (e.g. post_url = "${REPORT_WEBHOOK}") in '
            f"{settings.config_path}; nothing was written"
        )
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
    if ctx.args.post:
        post_report(settings, written, now=now)
        say(f"posted the summary to {rs.chat_route or 'the report webhook'}")
    return 0
