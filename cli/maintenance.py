"""`seamwatch maintenance list`: the recurring maintenance windows, which is on now, and when
each starts next, in the configured time zone."""

from __future__ import annotations

import argparse

import pandas as pd

from cli.common import Context, add_format, display_zone, local_time, print_frame
from seamwatch.errors import ConfigError
from seamwatch.matching import normalise
from seamwatch.mutes import windows_from_config
from seamwatch.timeutil import utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "maintenance",
        parents=[common],
        description="List the recurring maintenance windows of [[alerts.maintenance]]: what "
        "they mute, whether one is on now (until when) and when each starts next. Times are in "
        "[app] timezone.",
        epilog="examples:\n  seamwatch maintenance list\n  seamwatch maintenance list --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list",
        parents=[common],
        help="list the maintenance windows",
        description="List the maintenance windows with their state now and their next start.",
        epilog="examples:\n  seamwatch maintenance list",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_format(listing)
    return parser


def run(ctx: Context) -> int:
    try:
        windows = windows_from_config(ctx.settings.alerts)
    except ValueError as exc:
        raise ConfigError(str(exc), path=ctx.settings.config_path) from None
    now = utcnow()
    zone = display_zone(ctx.settings)
    rows = []
    for window in windows:
        current, upcoming = window.current(now), window.next(now)
        rows.append(
            {
                "name": window.name,
                "when": f"{window.cron} ({window.timezone})",
                "lasts": _duration(window.duration.total_seconds()),
                "mutes": _matchers(window.matchers),
                "now": f"on until {local_time(current[1], zone)}" if current else "off",
                "next start": local_time(upcoming[0], zone) if upcoming else None,
                "comment": window.comment or None,
            }
        )
    if not rows and ctx.args.format == "table":
        print("no maintenance windows configured ([[alerts.maintenance]] in config.toml)")
        return 0
    print_frame(pd.DataFrame(rows), ctx.args.format)
    return 0


def _matchers(matchers: dict[str, list[str]]) -> str:
    if not matchers:
        return "everything"
    return ", ".join(f"{k}={'|'.join(v)}" for k, v in sorted(normalise(matchers).items()))


def _duration(seconds: float) -> str:
    from datetime import timedelta

    from seamwatch.durations import format_duration

    return format_duration(timedelta(seconds=seconds))
