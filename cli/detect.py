"""`seamwatch detect`: evaluate every detector now and persist, or as of a past time."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta

import pandas as pd

from cli.common import Context, add_format, display_zone, local_time, print_frame, say
from detectors.engine import evaluate_as_of, run_detection
from seamwatch.errors import SeamwatchError, StoreMissing
from seamwatch.findings import load_findings
from seamwatch.mutes import open_mutes
from seamwatch.timeutil import localize_times, parse_timestamp, utcnow

COLUMNS = ["severity", "integration_id", "metric", "detector", "summary", "onset", "first_seen"]


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "detect",
        parents=[common],
        description="Run every detector over the samples in the store and persist the findings "
        "(open, update, resolve after [detectors] resolve_after clear runs); print the open "
        "findings. With --as-of, evaluate as if it were that time, using only samples up to it, "
        "persist nothing and print the findings active then.",
        epilog="examples:\n"
        "  seamwatch detect\n"
        "  seamwatch detect --format json\n"
        "  seamwatch detect --as-of 2026-11-20T08:00:00Z --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_format(parser, ("table", "json"))
    parser.add_argument(
        "--as-of", metavar="TS", help="evaluate as of this time (ISO 8601, UTC); persists nothing"
    )
    return parser


def _json_rows(rows: list[dict]) -> str:
    out = []
    for row in rows:
        item = {
            "integration": row["integration_id"],
            "metric": row["metric"],
            "detector": row["detector"],
            "severity": row["severity"],
            "summary": row["summary"],
            "onset": _iso(row.get("onset")),
            "first_seen": _iso(row["first_seen"]),
            "last_seen": _iso(row.get("last_seen")),
            "evidence": row["evidence"]
            if isinstance(row["evidence"], dict)
            else json.loads(row["evidence"] or "{}"),
        }
        for extra in ("status", "finding_id", "muted"):
            if extra in row:
                item[extra] = row[extra]
        out.append(item)
    return json.dumps(out, indent=2, ensure_ascii=False, default=str)


def _iso(ts: object) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat().replace("+00:00", "Z")


FUTURE_SLACK = timedelta(minutes=1)


def _as_of(text: str | None, now: datetime) -> datetime | None:
    """The --as-of time: None when not given; an empty or future one is refused, since running
    the persisting detection (or evaluating samples that cannot exist yet) is not what was asked."""
    if text is None:
        return None
    if not text.strip():
        raise SeamwatchError(
            "--as-of: empty; give a time (ISO 8601, e.g. 2026-11-20T08:00:00Z) or leave it out"
        )
    try:
        as_of = parse_timestamp(text)
    except ValueError as exc:
        raise SeamwatchError(f"--as-of: {exc}") from None
    if as_of > now + FUTURE_SLACK:
        raise SeamwatchError(
            f"--as-of: {text!r} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}); "
            "give a past time, or leave it out to detect now"
        )
    return as_of


def run(ctx: Context) -> int:
    as_of = _as_of(ctx.args.as_of, utcnow())
    store = ctx.store
    if not store.exists():
        raise StoreMissing(
            f"no store at {store.path}; collect samples first (`seamwatch collect --once` or `seamwatch demo`)"
        )
    if as_of is not None:
        result = evaluate_as_of(store, ctx.inventory, ctx.settings, as_of)
        rows = [
            {
                "integration_id": f.integration_id,
                "metric": f.metric,
                "detector": f.detector,
                "severity": f.severity.value,
                "summary": f.summary,
                "onset": f.onset,
                "first_seen": f.first_seen,
                "last_seen": f.last_seen,
                "evidence": f.evidence,
            }
            for f in result.findings
        ]
    else:
        store.sync_inventory(ctx.inventory, utcnow())
        result, outcome = run_detection(store, ctx.inventory, ctx.settings)
        found = load_findings(store, status="open")
        found.sort(key=lambda f: (-f.rank, f.integration_id, f.metric, f.detector))
        rows = [f.as_dict() for f in found]
        if ctx.args.format == "table":
            say(
                f"detect: {result.series} series, {len(result.findings)} findings now; "
                f"{outcome.opened} opened, {outcome.updated} updated, {outcome.resolved} resolved"
            )
    for name, error in result.errors.items():
        sys.stderr.write(f"seamwatch: detector {name} failed: {error}\n")
    muted = {} if as_of is not None else open_mutes(store, ctx.settings.alerts, utcnow())
    zone = display_zone(ctx.settings)
    if ctx.args.format == "json":
        for row in rows:
            mute = muted.get(str(row.get("finding_id")))
            if "finding_id" in row:
                row["muted"] = mute.text() if mute else None
        sys.stdout.write(_json_rows(rows) + "\n")
    else:
        frame = pd.DataFrame(rows, columns=[*COLUMNS, "last_seen", "evidence"])[COLUMNS]
        frame["onset"] = frame["onset"].map(lambda t: local_time(t, zone))
        frame["summary"] = frame["summary"].map(lambda s: localize_times(str(s), zone))
        frame["first_seen"] = frame["first_seen"].map(lambda t: local_time(t, zone))
        ids = [r.get("finding_id") for r in rows]
        frame["muted"] = [
            m.text(lambda t: local_time(t, zone)) if (m := muted.get(str(i))) else None for i in ids
        ]
        if not frame["muted"].notna().any():
            frame = frame.drop(columns=["muted"])
        headers = {"integration_id": "integration", "onset": "since", "first_seen": "detected"}
        print_frame(frame.rename(columns=headers), "table")
    return 1 if result.errors else 0
