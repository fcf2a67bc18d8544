"""`seamwatch up`: seed the demo if configured and the store is empty, then run the scheduler
and the dashboard."""

from __future__ import annotations

import argparse
import errno
import socket
import subprocess
import time
import urllib.request

from cli import demo
from cli.app_cmd import streamlit_command, warn_if_exposed
from cli.common import Context, say
from cli.scheduler import build_scheduler, run_until_stopped, stop_on_signals
from seamwatch.config import Settings
from seamwatch.errors import SeamwatchError

START_TIMEOUT = 90.0  # a cold Streamlit start on a busy 2-core machine takes several seconds


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "up",
        parents=[common],
        description='Everything at once: when the config has a kind = "demo" source and the '
        "store has no samples, seed the demo history; then run the scheduler and the dashboard "
        "until Ctrl-C, which stops both.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo history")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="dashboard port (default: [app] port); without --metrics-port the daemon's "
        "metrics port moves by as much (8502 -> 9465)",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="the daemon's /metrics port (default: [scheduler] metrics_port; 0 turns it off)",
    )
    parser.epilog = (
        "examples:\n  seamwatch up\n"
        "  seamwatch up --port 8502                      # a second instance: metrics on 9465\n"
        "  seamwatch up --port 8502 --metrics-port 0     # ... without the daemon's /metrics"
    )
    return parser


def metrics_port(settings: Settings, port: int | None, metrics: int | None) -> int:
    """The daemon's metrics port for `up`: --metrics-port, else the configured one moved by as
    much as --port moved the dashboard (so a second instance needs one flag), 0 for off."""
    if metrics is not None:
        if not 0 <= metrics <= 65535:
            raise SeamwatchError(f"--metrics-port {metrics} is not a port (0 to 65535, 0 = off)")
        return metrics
    configured = settings.scheduler.metrics_port or 0
    if not configured or port is None:
        return configured
    moved = configured + (port - settings.app.port)
    return moved if 0 < moved <= 65535 and moved != port else 0


def port_in_use(address: str, port: int) -> bool:
    """True when something already listens on address:port (the dashboard could not bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def wait_for_app(app: subprocess.Popen, url: str, timeout: float = START_TIMEOUT) -> bool:
    """Poll until the dashboard answers at `url` (True) or its process exits (False).

    After `timeout` with the process still starting, True: it is alive, just slow.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return app.poll() is None
        except OSError:
            pass
        time.sleep(0.5)
    return app.poll() is None


def stop(app: subprocess.Popen) -> None:
    """Terminate the dashboard, killing it if it does not go within 10 s."""
    if app.poll() is not None:
        return
    app.terminate()
    try:
        app.wait(timeout=10)
    except subprocess.TimeoutExpired:
        app.kill()


def check_ports(settings: Settings, port: int, metrics: int) -> None:
    """Both ports `up` will bind, checked before anything is seeded or started."""
    address = settings.app.address
    if port_in_use(address, port):
        raise SeamwatchError(
            f"dashboard port {port} on {address} is already in use (stop what holds it, "
            "or pass --port / set [app] port)"
        )
    metrics_address = settings.scheduler.metrics_address
    if metrics and port_in_use(metrics_address, metrics):
        raise SeamwatchError(
            f"metrics port {metrics} on {metrics_address} is already in use (stop what holds "
            "it, or pass --metrics-port N, 0 to turn it off, or set [scheduler] metrics_port)"
        )


def run(ctx: Context) -> int:
    store = ctx.store
    seed = not ctx.args.no_demo and store.sample_count() == 0
    if seed and demo.configured_demo(ctx) is None:
        say('the store is empty and the config has no kind = "demo" source: no demo seeded')
        seed = False
    address = ctx.settings.app.address
    port = ctx.args.port or ctx.settings.app.port
    metrics = metrics_port(ctx.settings, ctx.args.port, ctx.args.metrics_port)
    check_ports(ctx.settings, port, metrics)
    if seed:
        ctx.args.weeks, ctx.args.seed, ctx.args.if_empty = 5, None, True
        ctx.args.force = False
        demo.run(ctx)
    store.migrate()
    settings = ctx.settings.model_copy(
        update={"scheduler": ctx.settings.scheduler.model_copy(update={"metrics_port": metrics})}
    )
    warn_if_exposed(ctx.settings.app)
    # Ctrl-C or SIGTERM from here on, even while the dashboard starts, is one clean stop.
    with stop_on_signals() as stopping:
        cmd, env = streamlit_command(ctx, ctx.args.port)
        app = subprocess.Popen(cmd, env=env)
        probe = "127.0.0.1" if address in ("0.0.0.0", "") else address
        try:
            if not wait_for_app(app, f"http://{probe}:{port}/_stcore/health"):
                raise SeamwatchError(
                    f"the dashboard exited during start-up (code {app.returncode}) on port "
                    f"{port}; the scheduler was not started"
                )
            say(
                f"dashboard: http://{address}:{port}  (Ctrl-C stops the scheduler and the dashboard)"
            )
            if metrics:
                say(f"metrics:   http://{settings.scheduler.metrics_address}:{metrics}/metrics")
            scheduler = build_scheduler(settings)
        except BaseException:
            stop(app)
            raise
        run_until_stopped(scheduler, on_stop=lambda: stop(app), stop=stopping)
    return 0
