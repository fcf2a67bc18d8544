"""`seamwatch collect --once`: run one collection cycle of every (or one) source."""

from __future__ import annotations

import argparse

from collectors import build_source, build_sources
from collectors.runner import run_cycle
from seamwatch.cli.common import Context, say
from seamwatch.timeutil import utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "collect",
        parents=[common],
        help="run one collection cycle now",
        description="Run one cycle of every enabled source (or just --source NAME), store the "
        "samples and record the run. The daemon (`seamwatch run`) does this on a schedule.",
        epilog="examples:\n  seamwatch collect --once\n  seamwatch collect --once --source prometheus",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--once", action="store_true", required=True, help="run a single cycle")
    parser.add_argument("--source", metavar="NAME", help="only this source")
    return parser


def run(ctx: Context) -> int:
    settings = ctx.settings
    if ctx.args.source:
        index = settings.sources.index(settings.source(ctx.args.source))
        sources = [build_source(settings, index)]
    else:
        sources = [s for s in build_sources(settings) if s.settings.enabled]
    if not sources:
        say("no sources configured: add a [[sources]] block to config.toml")
        return 2
    store = ctx.store
    store.migrate()
    now = utcnow()
    store.sync_inventory(ctx.inventory, now)
    failed = 0
    for source in sources:
        result = run_cycle(source, store, ctx.inventory, now)
        note = " (spooled: store busy)" if result.spooled else ""
        say(
            f"{result.source}: {result.status}, {result.samples} samples, {result.written} new"
            f"{note}, {len(result.failures)} failures, {result.duration_s:.2f}s"
        )
        for failure in result.failures[:20]:
            where = "/".join(x for x in (failure.integration, failure.metric) if x)
            say(f"  {where or 'source'}: {failure.error}")
        if result.error:
            say(f"  error: {result.error}")
            failed += 1
    store.rollup()
    return 1 if failed == len(sources) else 0
