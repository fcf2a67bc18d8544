"""`seamwatch collect --once`: run one collection cycle of every (or one) source, optionally
after backfilling history from the sources that keep it."""

from __future__ import annotations

import argparse
import contextlib
from datetime import datetime, timedelta

from cli.common import Context, say
from collectors import Failure, Source, build_source, build_sources
from collectors.runner import CycleResult, run_backfill, run_cycle
from seamwatch.durations import format_duration, parse_duration
from seamwatch.errors import SeamwatchError, StoreLocked
from seamwatch.store import Store
from seamwatch.timeutil import align, utcnow

MAX_FAILURE_LINES = 20


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "collect",
        parents=[common],
        description="Run one cycle of every enabled source (or just --source NAME), store the "
        "samples and record the run. With --backfill, first pull that much history from the "
        "sources that keep it (prometheus), chunk by chunk, so detectors have a baseline on day "
        "one. The daemon (`seamwatch run`) collects on a schedule.",
        epilog="examples:\n  seamwatch collect --once\n  seamwatch collect --once --source prometheus"
        "\n  seamwatch collect --once --source prometheus --backfill 14d",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--once", action="store_true", required=True, help="run a single cycle")
    parser.add_argument("--source", metavar="NAME", help="only this source")
    parser.add_argument(
        "--backfill",
        metavar="DURATION",
        help="first backfill this much history (e.g. 14d) from sources that keep it",
    )
    return parser


def _duration(text: str) -> timedelta:
    """--backfill's value, or a one-line error naming the option."""
    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise SeamwatchError(f"--backfill: {exc}") from None
    if value <= timedelta(0):
        raise SeamwatchError(f"--backfill: {text!r} is not a positive duration")
    return value


def run(ctx: Context) -> int:
    settings = ctx.settings
    span = _duration(ctx.args.backfill) if ctx.args.backfill else None
    if ctx.args.source:
        index = settings.sources.index(settings.source(ctx.args.source))
        sources = [build_source(settings, index)]
    else:
        sources = [s for s in build_sources(settings) if s.settings.enabled]
    if not sources:
        say("no sources configured: add a [[sources]] block to config.toml")
        return 2
    store = ctx.store
    now = utcnow()
    prepare(store, ctx, now)
    if span is not None:
        for source in sources:
            backfill(ctx, store, source, span, now)
    failed = 0
    configured = {s.name for s in settings.sources}
    for source in sources:
        result = run_cycle(source, store, ctx.inventory, now, configured=configured)
        report(result)
        if result.status == "failed":
            failed += 1
    if not store.spool.pending():
        with contextlib.suppress(StoreLocked):  # else the daemon's next rollup covers it
            store.rollup()
    return 1 if failed == len(sources) else 0


def prepare(store: Store, ctx: Context, now: datetime) -> bool:
    """Migrate the store and mirror the inventory; when another process holds the store, say
    so and go on: the batch is spooled and the next write replays it."""
    try:
        store.migrate()
        store.sync_inventory(ctx.inventory, now)
        return True
    except StoreLocked as exc:
        say(f"store busy, spooling to {store.spool.directory}: {exc}")
        return False


def backfill(ctx: Context, store: Store, source: Source, span: timedelta, now: datetime) -> None:
    """Pull `span` of history up to the current cycle, one recorded chunk at a time."""
    end = align(now, source.interval)
    start = end - span
    total = written = chunks = failures = 0
    try:
        configured = {s.name for s in ctx.settings.sources}
        for result in run_backfill(
            source, store, ctx.inventory, start, end, now=now, configured=configured
        ):
            chunks += 1
            total += result.samples
            written += result.written
            failures += len(result.failures)
            if result.error:
                say(f"{source.name}: backfill stopped at chunk {chunks}: {result.error}")
                break
            say(
                f"{source.name}: backfill chunk {chunks}: {result.samples} samples, "
                f"{len(result.failures)} failures"
            )
            for failure in result.failures[:MAX_FAILURE_LINES]:
                say(f"  {_where(failure)}: {failure.error}")
    except NotImplementedError:
        say(f"{source.name}: a {source.kind} source keeps no history; nothing to backfill")
        return
    say(
        f"{source.name}: backfilled {format_duration(span)} ({start:%Y-%m-%d %H:%M} .. "
        f"{end:%Y-%m-%d %H:%M} UTC): {total} samples, {written} new, {failures} failures "
        f"in {chunks} chunks"
    )


def report(result: CycleResult) -> None:
    """One line per cycle, then its failures."""
    note = " (spooled: store busy)" if result.spooled else ""
    say(
        f"{result.source}: {result.status}, {result.samples} samples, {result.written} new"
        f"{note}, {len(result.failures)} failures, {result.duration_s:.2f}s"
    )
    for failure in result.failures[:MAX_FAILURE_LINES]:
        say(f"  {_where(failure)}: {failure.error}")
    if len(result.failures) > MAX_FAILURE_LINES:
        say(f"  ... and {len(result.failures) - MAX_FAILURE_LINES} more (see v_runs)")
    if result.error:
        say(f"  error: {result.error}")


def _where(failure: Failure) -> str:
    return "/".join(x for x in (failure.integration, failure.metric) if x) or "source"
