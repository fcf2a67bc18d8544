"""Ad-hoc SQL that can only read: statement-type check, a sandboxed connection, limits.

Used by `seamwatch sql` and the dashboard's SQL console. The file is attached read-only into
an in-memory database whose external access is then switched off, so a query can neither
write the store nor read or write other files; a row limit and a time limit bound the work.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from seamwatch.errors import QueryRefused, SeamwatchError, StoreMissing
from seamwatch.store.connection import DEFAULT_LIMITS, Limits, is_lock_error

# One console query may use this much memory and these threads, and never spills to disk: a
# query that needs more fails with DuckDB's out-of-memory error instead of taking the machine.
CONSOLE_MEMORY_LIMIT = "512MB"
CONSOLE_THREADS = 2

_ALLOWED = {
    duckdb.StatementType.SELECT,
    duckdb.StatementType.EXPLAIN,
}


@dataclass(frozen=True)
class QueryResult:
    """Rows of a read-only query, and whether the row limit cut them."""

    frame: pd.DataFrame
    truncated: bool


def check_read_only(sql: str) -> None:
    """Refuse anything but SELECT (and EXPLAIN) statements, naming the offending statement."""
    if not sql.strip():
        raise QueryRefused("the query is empty")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SeamwatchError(f"SQL syntax error: {_first_line(exc)}") from None
    for statement in statements:
        if statement.type not in _ALLOWED:
            kind = statement.type.name.replace("_STATEMENT", "").replace("_", " ")
            raise QueryRefused(
                f"refused: {kind} statements change things; this console only reads "
                "(SELECT, WITH ... SELECT, EXPLAIN)"
            )


def run_read_only(
    path: Path,
    sql: str,
    *,
    row_limit: int = 10_000,
    timeout: float = 10.0,
    memory_limit: str = CONSOLE_MEMORY_LIMIT,
    threads: int = CONSOLE_THREADS,
    limits: Limits = DEFAULT_LIMITS,
) -> QueryResult:
    """Run user SQL against the store, read-only and sandboxed, within the limits (rows, time,
    memory, threads, no temp files); the store's location is not shown in what comes back."""
    check_read_only(sql)
    if not path.exists():
        raise StoreMissing(f"no store at {path}: run `seamwatch demo` or `seamwatch run` first")
    # The console's own caps, never above the store's threads; no temp files at all.
    threads = min(threads, limits.threads) if limits.threads else threads
    con = duckdb.connect(
        ":memory:",
        config={"memory_limit": memory_limit, "threads": threads, "temp_directory": ""},
    )
    timer = threading.Timer(timeout, con.interrupt)
    try:
        con.execute("SET TimeZone = 'UTC'")
        try:
            con.execute(f"ATTACH '{_quote(str(path))}' AS store (READ_ONLY)")
        except duckdb.Error as exc:
            if is_lock_error(exc):
                raise SeamwatchError(
                    "the store is busy (a collector is writing); try again in a moment"
                ) from None
            raise SeamwatchError(f"cannot open the store: {_first_line(exc)}") from None
        con.execute("USE store")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        timer.start()
        try:
            statements = duckdb.extract_statements(sql)
            for statement in statements[:-1]:
                con.execute(statement)
            rel = con.execute(statements[-1])
            columns = [d[0] for d in rel.description or []]
            rows = rel.fetchmany(row_limit + 1)
        except duckdb.InterruptException:
            raise SeamwatchError(
                f"the query ran longer than {timeout:.0f}s and was stopped"
            ) from None
        except duckdb.Error as exc:
            raise SeamwatchError(f"query failed: {_hide(_first_line(exc), path)}") from None
        truncated = len(rows) > row_limit
        frame = pd.DataFrame(rows[:row_limit], columns=_unique(columns))
        return QueryResult(_hidden(frame, path), truncated)
    finally:
        timer.cancel()
        con.close()


def _hide(text: str, path: Path) -> str:
    """Text with the store's directory left out: the console shows its file name only."""
    return text.replace(str(path.resolve().parent) + "/", "").replace(str(path.parent) + "/", "")


def _hidden(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The result without the store's absolute path (duckdb_databases(), pragma outputs)."""
    for column in frame.columns:
        values = frame[column]
        if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
            continue
        if values.map(lambda v: isinstance(v, str) and str(path.parent) in v).any():
            frame[column] = values.map(lambda v: _hide(v, path) if isinstance(v, str) else v)
    return frame


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _unique(columns: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in columns:
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 0
            out.append(name)
    return out
