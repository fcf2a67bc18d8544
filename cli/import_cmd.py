"""`seamwatch import FILE`: load history from another tool (CSV or Parquet)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from cli.collect import prepare
from cli.common import Context, say
from seamwatch.config.sections import check_slug
from seamwatch.errors import SeamwatchError, StoreLocked
from seamwatch.metrics import METRIC_NAMES
from seamwatch.store.connection import DEFAULT_LIMITS, Limits
from seamwatch.timeutil import utcnow

REQUIRED = ("ts", "integration", "metric", "value")
# Rows read, checked and written at a time: a file of any size imports in bounded memory.
CHUNK_ROWS = 1_000_000


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "import",
        parents=[common],
        description="Import samples from a CSV or Parquet file with columns ts, integration, "
        "metric, value (and optionally source). ts is ISO 8601 (naive means UTC); metric is one "
        f"of {', '.join(METRIC_NAMES)}; integration is a slug (a file with any other id is "
        "refused whole). Re-importing the same file stores nothing twice.",
        epilog="examples:\n  seamwatch import history.csv\n  seamwatch import export.parquet --source grafana",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="CSV or Parquet file")
    parser.add_argument(
        "--source", default=None, help="source label for the rows (default import:<file name>)"
    )
    return parser


def read_history(path: Path, limits: Limits = DEFAULT_LIMITS) -> duckdb.DuckDBPyRelation:
    """Read the file with DuckDB's readers (within the store's memory limits); errors name it."""
    if not path.exists():
        raise SeamwatchError(f"{path}: file not found")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    limits.apply(con)
    reader = "read_parquet" if path.suffix.lower() in (".parquet", ".pq") else "read_csv"
    try:
        quoted = str(path).replace("'", "''")
        rel = con.sql(f"SELECT * FROM {reader}('{quoted}')")
        columns = [c.lower() for c in rel.columns]
    except duckdb.Error as exc:
        raise SeamwatchError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from None
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise SeamwatchError(
            f"{path}: missing column(s) {', '.join(missing)} (need {', '.join(REQUIRED)}; found {', '.join(rel.columns)})"
        )
    return rel


def check_ids(path: Path, ids: pa.ChunkedArray) -> None:
    """Refuse the file when an integration id is not a slug, naming the first such row.

    Refused whole rather than skipped: nothing is lost silently, and the user fixes the file.
    """
    bad: dict[str | None, str] = {}  # id -> why
    for value in pc.unique(ids).to_pylist():
        try:
            check_slug(value)
        except ValueError as exc:
            bad[value] = str(exc)
        except TypeError:
            bad[value] = "an empty value is not a slug"
    if not bad:
        return
    rows = pc.is_in(ids, value_set=pa.array(list(bad), pa.string()))
    if None in bad:
        rows = pc.or_(pc.fill_null(rows, False), pc.is_null(ids))
    first = pc.index(rows, True).as_py()
    count = pc.sum(rows).as_py()
    raise SeamwatchError(
        f"{path}: row {first + 1}: column integration: {bad[ids[first].as_py()]}; nothing "
        f"imported ({count:,} row(s) with {len(bad)} invalid id(s))"
    )


def run(ctx: Context) -> int:
    path: Path = ctx.args.file
    store = ctx.store
    rel = read_history(path, store.limits)
    label = ctx.args.source or f"import:{path.name}"
    try:
        history = rel.query(
            "history",
            """
            SELECT CAST(ts AS TIMESTAMPTZ) AS ts, CAST(integration AS VARCHAR) AS integration_id,
                   CAST(metric AS VARCHAR) AS metric, TRY_CAST(value AS DOUBLE) AS value
            FROM history
            """,
        )
        # Checked whole before anything is written (a bad file is refused whole), from the
        # distinct values only; the rows themselves are then streamed in chunks.
        ids = [r[0] for r in history.query("h", "SELECT DISTINCT integration_id FROM h").fetchall()]
        metrics = {r[0] for r in history.query("h", "SELECT DISTINCT metric FROM h").fetchall()}
    except duckdb.Error as exc:
        raise SeamwatchError(f"{path}: {str(exc).splitlines()[0]}") from None
    if not all(isinstance(i, str) and _is_slug(i) for i in ids):
        column = history.query("h", "SELECT integration_id FROM h").to_arrow_table()
        check_ids(path, column.column("integration_id"))
    unknown = sorted(str(m) for m in metrics - set(METRIC_NAMES))
    if unknown:
        raise SeamwatchError(
            f"{path}: column metric: unknown metric name(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(METRIC_NAMES)})"
        )
    busy = not prepare(store, ctx, utcnow())
    offered = written = dropped = 0
    spooled = False
    try:
        for chunk in history.to_arrow_reader(CHUNK_ROWS):
            table = pa.Table.from_batches([chunk])
            table = table.append_column("source", pa.array([label] * table.num_rows, pa.string()))
            # Duplicates across chunks are caught by the write's anti-join with stored rows; a
            # store held by another process spools each chunk (the next write replays them).
            result = store.write_samples(
                table, dedupe=True, timeout=0.1 if busy or spooled else None
            )
            offered += result.offered
            written += result.written
            dropped += result.dropped
            spooled = spooled or result.spooled
    except duckdb.Error as exc:
        raise SeamwatchError(f"{path}: {str(exc).splitlines()[0]}") from None
    if not spooled:
        with contextlib.suppress(StoreLocked):  # else the daemon's next rollup covers it
            store.rollup()
    unlisted = sorted(str(i) for i in set(ids) - set(ctx.inventory.integrations) if i is not None)
    say(
        f"imported {path}: {offered:,} rows, {written:,} new, "
        f"{dropped:,} dropped (empty or non-numeric value)"
        + (
            f" (spooled to {store.spool.directory}: store busy; stored by the next write)"
            if spooled
            else ""
        )
    )
    if unlisted:
        say(
            f"not inventoried (kept): {', '.join(unlisted[:20])}{' ...' if len(unlisted) > 20 else ''}"
        )
    return 0


def _is_slug(value: str) -> bool:
    try:
        check_slug(value)
    except ValueError:
        return False
    return True
