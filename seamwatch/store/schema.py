"""Forward-only migrations: numbered SQL files applied in order, recorded in schema_version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

import duckdb

from seamwatch.severity import RANK_MACRO, SEVERITIES, rank_macro_sql, severity_rank

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    """One numbered SQL file under seamwatch/store/migrations/."""

    version: int
    name: str
    sql: str

    @property
    def after(self) -> int:
        """The migration this one must follow (its `-- after: NNN` header line), else none.

        Numbers are assigned in ranges per area, so a lower-numbered migration can build on a
        higher one (e.g. recreate a view that one defines); without the header a fresh store
        would apply it first and the higher one would undo it.
        """
        for line in self.sql.splitlines():
            if line.startswith("-- after:"):
                return int(line.split(":", 1)[1].strip())
        return 0


def migrations() -> list[Migration]:
    """All migrations shipped with this code, in order."""
    found = []
    for entry in resources.files("seamwatch.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql") and entry.name[:3].isdigit():
            found.append(Migration(int(entry.name[:3]), entry.name[4:-4], entry.read_text("utf-8")))
    found.sort(key=lambda m: (max(m.version, m.after), m.after > m.version, m.version))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def latest_version() -> int:
    """The schema version this code expects."""
    return max(m.version for m in migrations())


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open store; 0 for a new file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration the store has not recorded yet, in order, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    # Apply every version not yet recorded, not just those above the highest: numbers are
    # assigned in ranges per area, so a store can be at 30 and still lack 002.
    have = {int(row[0]) for row in con.execute("SELECT version FROM schema_version").fetchall()}
    define_macros(con)
    applied = []
    for migration in migrations():
        if migration.version in have:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                [migration.version, migration.name],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        log.info("store migrated to version %d (%s)", migration.version, migration.name)
        applied.append(migration.version)
    return applied


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)define the SQL macros generated from the spine's vocabulary, before any migration.

    `severity_rank(s)` is built from `seamwatch.severity.Severity`, so views and queries order
    by severity without a hand-written copy of the order; it is only rewritten when the store's
    copy ranks any severity differently (or is missing).
    """
    probe = [*(s.value for s in SEVERITIES), "unknown"]
    try:
        row = con.execute(
            f"SELECT list({RANK_MACRO}(s) ORDER BY i) FROM unnest(?) WITH ORDINALITY AS t(s, i)",
            [probe],
        ).fetchone()
        have = list(row[0]) if row else None
    except duckdb.Error:
        have = None
    if have != [severity_rank(s) for s in probe]:
        con.execute(rank_macro_sql())
