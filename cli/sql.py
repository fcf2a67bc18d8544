"""`seamwatch sql`: read-only ad-hoc SQL over the documented views."""

from __future__ import annotations

import argparse
import sys

from cli.common import Context, add_format, print_frame
from seamwatch.store.readonly import run_read_only


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "sql",
        parents=[common],
        description="Run read-only SQL against the store (views v_latest, v_samples, "
        "v_integrations, v_runs, ...). Statements that write are refused.",
        epilog="examples:\n"
        '  seamwatch sql "SELECT integration_id, metric, value, age_seconds FROM v_latest"\n'
        '  seamwatch sql "SELECT * FROM v_integrations WHERE owner IS NULL" --format csv',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", help="SQL text, or - to read it from standard input")
    add_format(parser)
    parser.add_argument(
        "--limit", type=int, default=None, help="row limit (default: the app's query_row_limit)"
    )
    return parser


def run(ctx: Context) -> int:
    query = sys.stdin.read() if ctx.args.query == "-" else ctx.args.query
    app = ctx.settings.app
    result = run_read_only(
        ctx.store.path,
        query,
        row_limit=ctx.args.limit or app.query_row_limit,
        timeout=app.query_timeout.total_seconds(),
        limits=ctx.store.limits,
    )
    print_frame(result.frame, ctx.args.format)
    if result.truncated:
        sys.stderr.write(f"seamwatch: output cut at {len(result.frame)} rows (use --limit)\n")
    return 0
