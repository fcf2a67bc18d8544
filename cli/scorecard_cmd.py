"""`seamwatch scorecard`: the integration checklist per integration, team and fleet."""

from __future__ import annotations

import argparse
import logging

import pandas as pd

from cli.common import Context, add_format, print_frame, say
from seamwatch.errors import SeamwatchError, StoreLocked
from seamwatch.scorecard import (
    check_totals,
    fleet_score,
    integration_scores,
    inventory_checks,
    load_scorecard_settings,
    read_checks,
    team_scores,
)
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "scorecard",
        parents=[common],
        description="Score every integration against the checklist (owner, monitored, contract, "
        "failure handling, classified, reviewed, deprecation plan). Weights per tier come from "
        "config.toml's [scorecard] section. Reads the store (after syncing the inventory into "
        "it); without a store, scores the inventory alone.",
        epilog="examples:\n"
        "  seamwatch scorecard\n"
        "  seamwatch scorecard --team payments --view checks\n"
        "  seamwatch scorecard --view teams --format json\n"
        "  seamwatch scorecard --integration payments-webhook",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--team", help="only this owner team's integrations")
    parser.add_argument("--integration", metavar="ID", help="every check of one integration")
    parser.add_argument(
        "--view",
        choices=("integrations", "teams", "checks", "totals"),
        default="integrations",
        help="rows to print: one per integration (default), per team, per check of each "
        "integration (with reasons), or per check across the fleet",
    )
    add_format(parser)
    return parser


def load_checks(ctx: Context, team: str | None = None) -> pd.DataFrame:
    """The scorecard's check rows from the store (inventory synced first), else the inventory."""
    policy = load_scorecard_settings(ctx.settings)
    now = utcnow()
    store = ctx.store
    try:
        store.sync_inventory(ctx.inventory, now)
    except StoreLocked:
        log.warning("store busy: scoring the inventory as last synced")
    if not store.exists():
        checks = inventory_checks(ctx.inventory, policy, now)
        return checks if team is None else checks[checks["owner"] == team]
    with store.read() as con:
        return read_checks(con, policy, team=team)


def run(ctx: Context) -> int:
    args = ctx.args
    checks = load_checks(ctx, args.team)
    if args.integration:
        checks = checks[checks["integration_id"] == args.integration]
        if checks.empty:
            raise_unknown(ctx, args.integration)
    if args.team and checks.empty:
        known = sorted({str(i.owner) for i in ctx.inventory if i.owner})
        raise SeamwatchError(
            f"--team: no integration owned by {args.team!r} (known: {', '.join(known)})"
        )
    view = "checks" if args.integration else args.view
    if view == "integrations":
        frame = integration_scores(checks)
    elif view == "teams":
        frame = team_scores(checks)
    elif view == "totals":
        frame = check_totals(checks)
    else:
        frame = checks[
            [
                "integration_id",
                "owner",
                "tier",
                "check_name",
                "question",
                "status",
                "reason",
                "weight",
            ]
        ]
    if args.format == "table":
        score = fleet_score(checks)
        scope = f"team {args.team}" if args.team else args.integration or "fleet"
        ids = checks["integration_id"].nunique()
        say(
            f"scorecard, {scope}: {'n.a.' if score is None else f'{score:.1f}%'} "
            f"({ids} integration{'s' if ids != 1 else ''})"
        )
    print_frame(frame, args.format)
    return 0


def raise_unknown(ctx: Context, integration_id: str) -> None:
    """An --integration that is not inventoried: say which ones are."""
    known = sorted(i.id for i in ctx.inventory)
    raise SeamwatchError(
        f"--integration: {integration_id!r} is not in the inventory"
        f" (known: {', '.join(known[:10])}{', ...' if len(known) > 10 else ''})"
    )
