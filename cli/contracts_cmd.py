"""`seamwatch contracts`: fetch, validate and diff every integration's API contract."""

from __future__ import annotations

import argparse

import pandas as pd

from cli.common import Context, add_format, print_frame, say
from cli.scheduler import check_contracts
from seamwatch.timeutil import utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "contracts",
        parents=[common],
        description="Contracts that are checked: every `contract.spec` (http(s) URL with "
        "[contracts] auth/TLS, or a file path relative to its inventory file) is fetched, "
        "validated (OpenAPI 2.0/3.0/3.1, AsyncAPI 2.x/3.x), kept when it is a new version, "
        "and compared with the version before. Breaking changes, unreachable and invalid "
        "specs become findings (contract_breaking, contract_unreachable, contract_invalid).",
        epilog="example:\n  seamwatch contracts check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check",
        parents=[common],
        help="check every spec now, store new versions and open or resolve findings",
        description="Check every declared spec now. Exit status 1 when any spec is "
        "unreachable, invalid or broke its consumers in a new version (for CI), else 0.",
        epilog="examples:\n  seamwatch contracts check\n  seamwatch contracts check --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_format(check)
    return parser


def run(ctx: Context) -> int:
    store = ctx.store
    store.sync_inventory(ctx.inventory, utcnow())
    checks, outcome = check_contracts(ctx.settings, store, ctx.inventory)
    rows = []
    for c in checks:
        breaking = [x.description for x in c.changes if x.breaking]
        rows.append(
            {
                "integration_id": c.integration_id,
                "status": c.status,
                "format": f"{'OpenAPI' if c.format == 'openapi' else 'AsyncAPI'} {c.spec_version}"
                if c.format
                else None,
                "version": c.api_version,
                "changes": len(c.changes),
                "breaking": len(breaking),
                "detail": c.error or "; ".join(breaking) or None,
                "spec": c.spec_url,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "integration_id",
            "status",
            "format",
            "version",
            "changes",
            "breaking",
            "detail",
            "spec",
        ],
    )
    print_frame(frame, ctx.args.format)
    if ctx.args.format == "table":
        say(
            f"{len(checks)} spec{'s' if len(checks) != 1 else ''} checked; findings: "
            f"{outcome.opened} opened, {outcome.updated} still open, {outcome.resolved} resolved"
        )
    bad = (frame["status"] != "ok").any() or (frame["breaking"] > 0).any()
    return 1 if bad else 0
