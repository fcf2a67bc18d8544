"""`seamwatch demo`: seed the store with weeks of simulated fleet history."""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from collectors.demo import DemoSource
from collectors.runner import run_backfill
from seamwatch.cli.common import Context, say
from seamwatch.config import SourceSettings
from seamwatch.errors import SeamwatchError
from seamwatch.timeutil import align, utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "demo",
        parents=[common],
        help="backfill weeks of simulated history for the demo fleet",
        description="Backfill N weeks of the demo fleet's history (with its scripted "
        "degradations) at the demo source's interval. The live scheduler continues from now.",
        epilog="examples:\n  seamwatch demo\n  seamwatch demo --weeks 3 --seed 11",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--weeks", type=int, default=5, help="weeks of history (default 5)")
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the config's, else 7)"
    )
    parser.add_argument(
        "--if-empty", action="store_true", help="do nothing when the store already has samples"
    )
    return parser


def demo_source(ctx: Context, seed: int | None) -> DemoSource:
    """The configured demo source, or a default one when config.toml has none."""
    for source in ctx.settings.sources:
        if source.kind == "demo":
            options = DemoSource.Options.model_validate(source.options())
            if seed is not None:
                options = options.model_copy(update={"seed": seed})
            return DemoSource(source, options)
    options = DemoSource.Options.model_validate({} if seed is None else {"seed": seed})
    return DemoSource(SourceSettings(name="demo", kind="demo"), options)


def run(ctx: Context) -> int:
    if ctx.args.weeks < 1:
        raise SeamwatchError(f"--weeks must be at least 1 (got {ctx.args.weeks})")
    store = ctx.store
    if ctx.args.if_empty and store.sample_count() > 0:
        say(f"store {store.path} already has samples; demo not seeded")
        return 0
    source = demo_source(ctx, ctx.args.seed)
    now = align(utcnow(), source.interval)
    start = now - timedelta(weeks=ctx.args.weeks)
    store.migrate()
    store.sync_inventory(ctx.inventory, now)
    clock = time.perf_counter()
    total = 0
    for result in run_backfill(source, store, ctx.inventory, start, now + source.interval, now=now):
        if result.error:
            say(f"seamwatch: demo backfill failed: {result.error}")
            return 1
        total += result.written
    store.rollup()
    say(
        f"demo: {total:,} samples over {ctx.args.weeks} weeks for {len(ctx.inventory)} "
        f"integrations written to {store.path} in {time.perf_counter() - clock:.1f}s"
    )
    return 0
