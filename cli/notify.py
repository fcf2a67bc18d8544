"""`seamwatch notify`: send the alerts that are due now (or print them with --dry-run)."""

from __future__ import annotations

import argparse
import json

from alerts.engine import Notifier
from cli.common import Context, say
from seamwatch.timeutil import parse_timestamp, utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "notify",
        parents=[common],
        description="Route open and resolved findings to their channels, group them, apply "
        "silences and maintenance windows, and send what is due. Failed deliveries are retried "
        "in later runs; undelivered messages are listed with the reason.",
        epilog="examples:\n"
        "  seamwatch notify --dry-run          # print the payloads, send nothing\n"
        "  seamwatch notify --config /etc/seamwatch/config.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the payloads; send and record nothing"
    )
    parser.add_argument(
        "--now", metavar="TIME", help=argparse.SUPPRESS
    )  # replaying a moment, for tests
    return parser


def run(ctx: Context) -> int:
    now = parse_timestamp(ctx.args.now) if ctx.args.now else utcnow()
    notifier = Notifier(ctx.settings, store=ctx.store)
    if not notifier.channels:
        say("notify: no channels configured in [alerts.channels]; nothing to do")
        return 0
    if ctx.args.dry_run:
        plan = notifier.dry_run(now)
        for message in plan.messages:
            say(
                f"--- {message.channel} ({notifier.channels[message.channel].kind}): {message.payload.title}"
            )
            say(json.dumps(message.payload.body, indent=2, ensure_ascii=False))
        say(
            f"dry run: {len(plan.messages)} message(s) would be sent, {len(plan.muted)} muted, "
            f"{plan.waiting} finding(s) still in their group wait; nothing was sent or recorded"
        )
        return 0
    result = notifier.run(now)
    for report in result.reports:
        line = f"{report.status:<11} {report.channel:<20} {report.title}"
        if report.error:
            line += f"  [{report.error}]"
        say(line)
    if result.unrouted:
        say(
            f"warning: {len(result.unrouted)} finding(s) match no route and there is no default route"
        )
    say(
        f"notify: {result.count('sent')} sent, {result.count('failed')} to retry, "
        f"{result.count('undelivered')} undelivered, {result.silenced} silenced, "
        f"{result.waiting} waiting"
    )
    return 1 if result.count("undelivered") else 0
