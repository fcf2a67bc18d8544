"""`seamwatch app`: start the Streamlit dashboard."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from cli.common import Context
from seamwatch.config import AppSettings

ENTRY = Path(__file__).resolve().parents[1] / "app" / "Home.py"


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "app",
        parents=[common],
        description="Start the Streamlit dashboard on the configured address and port.",
        epilog="examples:\n  seamwatch app\n  seamwatch app --port 8600",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=None, help="port (default: [app] port, 8501)")
    parser.add_argument("--address", default=None, help="address (default: [app] address)")
    return parser


def streamlit_command(
    ctx: Context, port: int | None = None, address: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start the dashboard for this config."""
    app = ctx.settings.app
    env = dict(os.environ)
    env["SEAMWATCH_CONFIG"] = str(ctx.settings.config_path)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ENTRY),
        "--server.headless",
        "true",
        "--server.port",
        str(port or app.port),
        "--server.address",
        address or app.address,
        "--browser.gatherUsageStats",
        "false",
        "--theme.base",
        "light",
        "--client.toolbarMode",
        "viewer",
    ]
    return cmd, env


def warn_if_exposed(app: AppSettings, address: str | None = None) -> None:
    """Say so on stderr when the dashboard will listen beyond loopback without sign-in."""
    settings = app.model_copy(update={"address": address}) if address else app
    warning = settings.exposure_warning()
    if warning:
        sys.stderr.write(f"seamwatch: warning: {warning}\n")


def run(ctx: Context) -> int:
    warn_if_exposed(ctx.settings.app, ctx.args.address)
    cmd, env = streamlit_command(ctx, ctx.args.port, ctx.args.address)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0
