"""`seamwatch sources`: every source, its interval and how its recent runs went."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

import pandas as pd

from cli.common import Context, add_format, print_frame, say
from seamwatch.durations import format_duration
from seamwatch.errors import StoreMissing
from seamwatch.timeutil import ensure_utc, utcnow

ERROR_WIDTH = 100


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "sources",
        parents=[common],
        description="One row per source: kind, interval, last run, last status, runs that were "
        "not ok in the last 24 hours, how many runs in a row have not been ok, and the last "
        "error. Reads the v_sources view; sources no longer in config.toml are listed too. "
        "Exit status 1 when a configured source's last run failed.",
        epilog="examples:\n  seamwatch sources\n  seamwatch sources --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_format(parser)
    return parser


def status_frame(ctx: Context, now: datetime | None = None) -> pd.DataFrame:
    """Configured sources joined with their run statistics from v_sources."""
    now = ensure_utc(now or utcnow())
    settings = ctx.settings
    try:
        stats = ctx.store.query("SELECT * FROM v_sources") if ctx.store.exists() else None
    except StoreMissing:
        stats = None
    by_name: dict[str, dict[str, Any]] = (
        {row["source"]: row for row in stats.to_dict("records")} if stats is not None else {}
    )
    rows = []
    for source in settings.sources:
        rows.append(
            _row(
                source.name,
                source.kind,
                format_duration(source.interval),
                source.enabled,
                by_name.pop(source.name, None),
                now,
            )
        )
    for name, stat in sorted(by_name.items()):
        rows.append(_row(name, stat["kind"], "-", None, stat, now))
    return pd.DataFrame(rows)


def _row(
    name: str,
    kind: str,
    interval: str,
    enabled: bool | None,
    stat: dict[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    configured = "yes" if enabled else ("disabled" if enabled is False else "not configured")
    if stat is None:
        return {
            "source": name,
            "kind": kind,
            "interval": interval,
            "configured": configured,
            "last_run": "never",
            "status": "-",
            "samples": 0,
            "not_ok_24h": "0/0",
            "failing_streak": 0,
            "last_error": "",
        }
    last_run = ensure_utc(stat["last_run"].to_pydatetime())
    error = stat.get("last_error")
    error = "" if error is None or pd.isna(error) else str(error)
    if len(error) > ERROR_WIDTH:
        error = error[: ERROR_WIDTH - 3] + "..."
    return {
        "source": name,
        "kind": kind,
        "interval": interval,
        "configured": configured,
        "last_run": f"{last_run:%Y-%m-%d %H:%M:%S}Z ({format_duration(max(now - last_run, now - now))} ago)",
        "status": stat["last_status"],
        "samples": int(stat["last_samples"] or 0),
        "not_ok_24h": f"{int(stat['failures_24h'])}/{int(stat['runs_24h'])}",
        "failing_streak": int(stat["failing_streak"]),
        "last_error": error,
    }


def run(ctx: Context) -> int:
    frame = status_frame(ctx)
    if frame.empty:
        say("no sources configured and no runs recorded: add a [[sources]] block to config.toml")
        return 0
    print_frame(frame, ctx.args.format)
    failing = frame[(frame.configured == "yes") & (frame.status == "failed")]
    return 1 if len(failing) else 0
