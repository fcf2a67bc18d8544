"""`seamwatch export --parquet DIR`: history as date-partitioned Parquet."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from cli.common import Context, say
from seamwatch.errors import SeamwatchError


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "export",
        parents=[common],
        description="Write v_samples (raw history plus older hourly rollups, with integration "
        "metadata) as Parquet partitioned by day (DIR/day=YYYY-MM-DD/*.parquet), readable by "
        "DuckDB, Spark, Trino or ClickHouse.",
        epilog="example:\n  seamwatch export --parquet data/exports/history",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--parquet", metavar="DIR", type=Path, required=True, help="target directory"
    )
    return parser


def run(ctx: Context) -> int:
    target: Path = ctx.args.parquet.resolve()
    if target.exists() and not target.is_dir():
        raise SeamwatchError(f"--parquet {target}: exists and is not a directory")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeamwatchError(
            f"--parquet {target}: cannot create the directory ({exc.strerror or exc})"
        ) from None
    quoted = str(target).replace("'", "''")
    with ctx.store.read() as con:
        rows = con.execute("SELECT count(*) FROM v_samples").fetchone()[0]  # type: ignore[index]
        try:
            con.execute(
                f"""
                COPY (SELECT *, CAST(ts AS DATE) AS day FROM v_samples ORDER BY ts)
                TO '{quoted}' (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE true)
                """
            )
        except duckdb.IOException as exc:
            first = str(exc).splitlines()[0]
            raise SeamwatchError(f"--parquet {target}: cannot write ({first})") from None
    days = len(list(target.glob("day=*")))
    say(f"exported {rows:,} samples in {days} daily partitions to {target}")
    return 0
