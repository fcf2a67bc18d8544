"""`seamwatch demo`: seed the store with weeks of simulated fleet history.

Simulated samples are written only where they are wanted: the config must have a
`kind = "demo"` source (or the user passes --force), and a store that already holds samples of
other sources is refused (demo rows would land under real integration ids, and nothing
removes them).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

from cli.common import Context, say
from collectors.demo import DemoSource
from collectors.runner import run_backfill
from seamwatch.config import SourceSettings
from seamwatch.errors import SeamwatchError
from seamwatch.store import Store
from seamwatch.timeutil import align, parse_timestamp, utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "demo",
        parents=[common],
        description="Backfill N weeks of the demo fleet's history (with its scripted "
        "degradations) at the demo source's interval. The live scheduler continues from now. "
        'Needs a `kind = "demo"` source in the config and a store without samples of other '
        "sources (--force overrides both).",
        epilog="examples:\n  seamwatch demo\n  seamwatch demo --weeks 3 --seed 11\n"
        "  seamwatch demo --anchor 2026-11-20T09:00:00Z",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--weeks", type=int, default=5, help="weeks of history (default 5)")
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the config's, else 7)"
    )
    parser.add_argument(
        "--if-empty", action="store_true", help="do nothing when the store already has samples"
    )
    parser.add_argument(
        "--anchor",
        metavar="TS",
        default=None,
        help="when the scripted story is told from (ISO 8601, UTC; default now): the same seed "
        "and anchor give the same samples, so tests and screenshots are reproducible",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="seed even without a demo source in the config, or into a store with real samples",
    )
    return parser


def configured_demo(ctx: Context) -> SourceSettings | None:
    """The config's first `kind = "demo"` source, if it has one."""
    return next((s for s in ctx.settings.sources if s.kind == "demo"), None)


def demo_source(ctx: Context, seed: int | None, *, force: bool = False) -> DemoSource:
    """The configured demo source; a default one only when forced (simulated data is opt-in)."""
    settings = configured_demo(ctx)
    if settings is None:
        if not force:
            raise SeamwatchError(
                f'{ctx.settings.config_path}: no source with kind = "demo"; the demo writes '
                "simulated samples, so add a demo source or pass --force"
            )
        settings = SourceSettings(name="demo", kind="demo")
    options = DemoSource.Options.model_validate(settings.options())
    if seed is not None:
        options = options.model_copy(update={"seed": seed})
    return DemoSource(settings, options)


def foreign_samples(store: Store, demo_name: str) -> tuple[int, list[str]]:
    """Samples of sources other than the demo's: their count and (a few of) their sources."""
    if not store.exists():
        return 0, []
    frame = store.query(
        """
        SELECT source, count(*) AS n FROM samples
        WHERE source IS DISTINCT FROM ? GROUP BY source ORDER BY n DESC
        """,
        [demo_name],
    )
    return int(frame["n"].sum()), [str(s) for s in frame["source"]]


def _anchor(text: str | None) -> datetime:
    """The demo's anchor: now, or the given time (not in the future: no samples exist yet)."""
    now = utcnow()
    if text is None:
        return now
    try:
        anchor = parse_timestamp(text)
    except ValueError as exc:
        raise SeamwatchError(f"--anchor: {exc}") from None
    if anchor > now:
        raise SeamwatchError(
            f"--anchor: {text!r} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ})"
        )
    return anchor


def run(ctx: Context) -> int:
    if ctx.args.weeks < 1:
        raise SeamwatchError(f"--weeks must be at least 1 (got {ctx.args.weeks})")
    store = ctx.store
    force = getattr(ctx.args, "force", False)
    if ctx.args.if_empty and store.sample_count() > 0:
        say(f"store {store.path} already has samples; demo not seeded")
        return 0
    source = demo_source(ctx, ctx.args.seed, force=force)
    count, sources = foreign_samples(store, source.name)
    if count and not force:
        raise SeamwatchError(
            f"{store.path} holds {count:,} samples of other sources ({', '.join(sources[:5])}); "
            "the demo would mix simulated samples into them (use another store, or --force)"
        )
    now = align(_anchor(getattr(ctx.args, "anchor", None)), source.interval)
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
    integrations = store.scalar(
        "SELECT count(DISTINCT integration_id) FROM samples WHERE source = ? AND ts >= ?",
        [source.name, start],
    )
    say(
        f"demo: {total:,} samples over {ctx.args.weeks} weeks for {integrations} "
        f"integrations written to {store.path} in {time.perf_counter() - clock:.1f}s"
    )
    return 0
