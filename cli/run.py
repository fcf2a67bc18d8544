"""`seamwatch run`: the scheduler daemon."""

from __future__ import annotations

import argparse

from cli.common import Context, say
from cli.scheduler import build_scheduler, run_until_stopped


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    return sub.add_parser(
        "run",
        parents=[common],
        description="Run every source at its interval, plus rollups and retention, until "
        "SIGINT or SIGTERM; a running job finishes before the daemon exits.",
        epilog="example:\n  seamwatch run --config /etc/seamwatch/config.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def run(ctx: Context) -> int:
    scheduler = build_scheduler(ctx.settings)
    jobs = ", ".join(job.id for job in scheduler.get_jobs())
    port = ctx.settings.scheduler.metrics_port
    served = (
        f"; own metrics on http://{ctx.settings.scheduler.metrics_address}:{port}/metrics"
        if port
        else ""
    )
    for service in getattr(scheduler, "seamwatch_services", []):
        served += f"; {service.name} on {service.url}"
    say(f"seamwatch run: {jobs}{served}; Ctrl-C to stop")
    run_until_stopped(scheduler)
    return 0
