"""`seamwatch channels`: list the configured chat channels, or send one a test message."""

from __future__ import annotations

import argparse

from alerts.engine import Notifier, channel_health
from cli.common import Context, say
from seamwatch.errors import ConfigError


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "channels",
        parents=[common],
        description="List the channels of [alerts.channels] (URLs are secret and never shown), "
        "or send a test message to one of them and record it.",
        epilog="examples:\n  seamwatch channels list\n  seamwatch channels test payments-slack",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser(
        "list",
        parents=[common],
        help="list the configured channels",
        description="List the channels of [alerts.channels] with their kind and rate limit.",
        epilog="examples:\n  seamwatch channels list\n  seamwatch channels --config prod.toml list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test = actions.add_parser(
        "test",
        parents=[common],
        help="send a test message to a channel",
        description="Send a test message to one channel and record the delivery.",
        epilog="examples:\n  seamwatch channels test payments-slack",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("name", help="the channel's name in [alerts.channels]")
    return parser


def run(ctx: Context) -> int:
    notifier = Notifier(ctx.settings, store=ctx.store)
    if ctx.args.action == "list":
        if not notifier.channels:
            say("no channels configured in [alerts.channels]")
        health = channel_health(ctx.store)
        failing = 0
        for name, channel in sorted(notifier.channels.items()):
            state = health.get(name) or {}
            note = ""
            if state.get("failing"):
                failing += 1
                since = state["since"].strftime("%Y-%m-%d %H:%M UTC") if state["since"] else "?"
                note = f"  FAILING since {since} ({state['failures']} permanent failures): {state['last_error']}"
            say(
                f"{name:<24} {channel.kind:<13} every {channel.min_interval.total_seconds():g}s at most{note}"
            )
        return 1 if failing else 0
    name = ctx.args.name
    if name not in notifier.channels:
        raise ConfigError(
            f"no channel named {name!r} (known: {', '.join(sorted(notifier.channels)) or 'none configured'})",
            path=ctx.settings.config_path,
            key="alerts.channels",
        )
    report = notifier.test_message(name)
    if report.status == "sent":
        say(f"sent a test message to {name}")
        return 0
    say(f"test message to {name} was not delivered: {report.error}")
    return 1
