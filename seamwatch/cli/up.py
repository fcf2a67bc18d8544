"""`seamwatch up`: seed the demo if the store is empty, then run the scheduler and the dashboard."""

from __future__ import annotations

import argparse
import subprocess

from seamwatch.cli import demo
from seamwatch.cli.app_cmd import streamlit_command
from seamwatch.cli.common import Context, say
from seamwatch.scheduler import build_scheduler, run_until_stopped


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "up",
        parents=[common],
        help="seed the demo (if configured and empty), start the scheduler and the dashboard",
        description='Everything at once: when the config has a kind = "demo" source and the '
        "store has no samples, seed the demo history; then run the scheduler and the dashboard "
        "until Ctrl-C, which stops both.",
        epilog="example:\n  seamwatch up",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo history")
    parser.add_argument(
        "--port", type=int, default=None, help="dashboard port (default: [app] port)"
    )
    return parser


def run(ctx: Context) -> int:
    if not ctx.args.no_demo and ctx.store.sample_count() == 0:
        if demo.configured_demo(ctx) is not None:
            ctx.args.weeks, ctx.args.seed, ctx.args.if_empty = 5, None, True
            ctx.args.force = False
            demo.run(ctx)
        else:
            say('the store is empty and the config has no kind = "demo" source: no demo seeded')
    scheduler = build_scheduler(ctx.settings)
    cmd, env = streamlit_command(ctx, ctx.args.port)
    app = subprocess.Popen(cmd, env=env)
    port = ctx.args.port or ctx.settings.app.port
    say(
        f"dashboard: http://{ctx.settings.app.address}:{port}  (Ctrl-C stops the scheduler and the dashboard)"
    )

    def stop_app() -> None:
        app.terminate()
        try:
            app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()

    run_until_stopped(scheduler, on_stop=stop_app)
    return 0
