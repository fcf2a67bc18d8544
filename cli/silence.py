"""`seamwatch silence`: add, list and expire silences that mute matching findings."""

from __future__ import annotations

import argparse
import getpass
import sys

import pandas as pd

from cli.common import Context, add_format, print_frame, say
from seamwatch.durations import format_duration, parse_duration
from seamwatch.errors import SeamwatchError
from seamwatch.matching import value_matches
from seamwatch.silences import (
    add_silence,
    closed_field_problem,
    describe,
    expire_silence,
    list_silences,
    parse_matchers,
)
from seamwatch.timeutil import parse_timestamp, utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "silence",
        parents=[common],
        description="Silences mute matching findings for a time (they are still recorded, with "
        "status 'silenced'). Matchers are field=value: integration, owner, severity, tier, "
        "lifecycle, detector, metric, tags, source_system, target_system, system; shell "
        "wildcards allowed; all given fields must match.",
        epilog="examples:\n"
        '  seamwatch silence add --match integration=crm-orders-to-erp --duration 2h --comment "ERP upgrade"\n'
        '  seamwatch silence add --match system="SAP ERP" --start 2026-11-22T02:00Z --end 2026-11-22T06:00Z --comment "SAP patch"\n'
        "  seamwatch silence list --all\n"
        "  seamwatch silence expire 3f2a9c",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    add = actions.add_parser(
        "add",
        parents=[common],
        help="add a silence",
        description="Add a silence: findings matching every --match are muted until it ends.",
        epilog="examples:\n"
        '  seamwatch silence add -m integration=crm-orders-to-erp --duration 2h -c "ERP upgrade"\n'
        '  seamwatch silence add -m owner=payments -m severity=warning --end 2026-11-30T08:00Z -c "noisy week"',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument(
        "--match", "-m", action="append", default=[], metavar="FIELD=VALUE", help="repeatable"
    )
    add.add_argument(
        "--duration", help='how long from the start, e.g. "2h" (default 1h unless --end)'
    )
    add.add_argument("--start", help="ISO 8601 start (default: now)")
    add.add_argument("--end", help="ISO 8601 end")
    add.add_argument("--comment", "-c", required=True, help="why (shown to everyone)")
    add.add_argument("--author", "-a", default=None, help="who (default: the current user)")
    listing = actions.add_parser(
        "list",
        parents=[common],
        help="list active and pending silences",
        description="List active and pending silences (with --all, expired ones too).",
        epilog="examples:\n  seamwatch silence list\n  seamwatch silence list --all --format csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--all", action="store_true", help="include expired silences")
    add_format(listing)
    expire = actions.add_parser(
        "expire",
        parents=[common],
        help="end a silence now",
        description="End a silence now; matching findings alert again from the next detection.",
        epilog="examples:\n  seamwatch silence expire 3f2a9c",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    expire.add_argument("silence_id", help="the id (or a unique prefix) from `silence list`")
    return parser


def run(ctx: Context) -> int:
    now = utcnow()
    store = ctx.store
    action = ctx.args.action
    if action == "add":
        try:
            start = parse_timestamp(ctx.args.start) if ctx.args.start else now
            if ctx.args.end and ctx.args.duration:
                raise SeamwatchError("give --end or --duration, not both")
            end = (
                parse_timestamp(ctx.args.end)
                if ctx.args.end
                else start + parse_duration(ctx.args.duration or "1h")
            )
        except ValueError as exc:
            raise SeamwatchError(str(exc)) from None
        matchers = parse_matchers(ctx.args.match)
        problem = closed_field_problem(matchers)
        if problem:
            raise SeamwatchError(f"--match {problem}")
        _warn_unknown_integrations(ctx, matchers.get("integration_id", []))
        silence = add_silence(
            store,
            matchers,
            starts_at=start,
            ends_at=end,
            comment=ctx.args.comment,
            author=ctx.args.author or getpass.getuser(),
            now=now,
        )
        say(
            f"silence {silence.silence_id} added: {describe(silence.matchers)} until "
            f"{silence.ends_at:%Y-%m-%d %H:%M} UTC ({format_duration(silence.ends_at - silence.starts_at)})"
        )
        return 0
    if action == "list":
        rows = [
            {
                "silence_id": s.silence_id,
                "state": s.state(now),
                "matchers": describe(s.matchers),
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "author": s.author,
                "comment": s.comment,
            }
            for s in list_silences(store, now, include_expired=ctx.args.all)
        ]
        columns = ["silence_id", "state", "matchers", "starts_at", "ends_at", "author", "comment"]
        print_frame(pd.DataFrame(rows, columns=columns), ctx.args.format)
        return 0
    silence = expire_silence(store, ctx.args.silence_id, now)
    say(f"silence {silence.silence_id} expired ({describe(silence.matchers)})")
    return 0


def _warn_unknown_integrations(ctx: Context, patterns: list[str]) -> None:
    """A silence for an id nobody knows is kept (it may be about to appear) but is likely a typo."""
    if not patterns:
        return
    known = {integration.id for integration in ctx.inventory}
    if ctx.store.exists():
        known |= set(ctx.store.query("SELECT integration_id FROM v_integrations")["integration_id"])
    for pattern in patterns:
        if not any(value_matches(pattern, str(value)) for value in known):
            sys.stderr.write(
                f"seamwatch: warning: --match integration={pattern}: no such integration in the "
                "inventory or in the data (yet); the silence is added anyway\n"
            )
