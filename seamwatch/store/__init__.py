"""The DuckDB store: schema, short-lived connections, idempotent writes, rollups, views.

Every connection is opened for one unit of work. Readers open read-only. A writer that cannot
get the lock before its deadline spools its batch to disk; the next write replays it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from seamwatch.errors import StoreError, StoreLocked
from seamwatch.store.batches import (
    SAMPLE_SCHEMA,
    drop_unusable,
    empty_samples,
    to_sample_table,
)
from seamwatch.store.connection import DEFAULT_LIMITS, Limits, connection
from seamwatch.store.schema import latest_version, migrate
from seamwatch.store.spool import Spool

__all__ = [
    "SAMPLE_SCHEMA",
    "Limits",
    "Ping",
    "RunRecord",
    "StateChange",
    "Store",
    "WriteResult",
    "empty_samples",
    "to_sample_table",
]

log = logging.getLogger(__name__)

DEDUPE_AUTO_ROWS = 1_000_000

_migrated: set[Path] = set()
_migrate_lock = threading.Lock()

RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("samples", pa.int64()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("failures", pa.string()),
    ]
)


PING_SCHEMA = pa.schema(
    [
        ("ping_id", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("integration_id", pa.string()),
        ("kind", pa.string()),
        ("exit_status", pa.int32()),
        ("rid", pa.string()),
        ("body", pa.string()),
        ("body_bytes", pa.int64()),
        ("remote", pa.string()),
    ]
)


@dataclass(frozen=True)
class Ping:
    """One heartbeat of a batch job as received: start, success or fail (see v_job_runs)."""

    ping_id: str
    received_at: datetime
    integration_id: str
    kind: str  # start | success | fail
    exit_status: int | None = None
    rid: str | None = None
    body: str | None = None
    body_bytes: int = 0
    remote: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """What a write did: rows offered, rows new to the store, rows dropped, whether spooled."""

    offered: int
    written: int
    dropped: int
    spooled: bool


@dataclass(frozen=True)
class RunRecord:
    """One collection run of one source."""

    run_id: str
    source: str
    kind: str
    started_at: datetime
    finished_at: datetime
    samples: int
    status: str  # ok | partial | failed
    error: str | None = None
    failures: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class StateChange:
    """What a cycle changed in its source's persistent state: keys set and keys removed.

    A change, not the whole map, so replaying a spooled cycle never rolls back keys a later
    cycle wrote.
    """

    prefix: str
    set: dict[str, str]
    removed: tuple[str, ...] = ()
    # Keys a cycle set without knowing whether the store holds them (the store was held and
    # the key was in neither this process's cache nor the spool): they only fill keys the
    # store lacks, never overwrite what an earlier cycle stored (a demo's anchor).
    fill: dict[str, str] = field(default_factory=dict)

    @classmethod
    def between(
        cls, prefix: str, before: dict[str, str], after: dict[str, str], *, blind: bool = False
    ) -> StateChange:
        """The change that turns `before` into `after`. `blind`: `before` was not read from
        the store, only rebuilt from the spool, so a key it lacks may exist in the store."""
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        removed = tuple(sorted(k for k in before if k not in after))
        if not blind:
            return cls(prefix, changed, removed)
        known = {k: v for k, v in changed.items() if k in before}
        return cls(prefix, known, removed, {k: v for k, v in changed.items() if k not in before})

    def __bool__(self) -> bool:
        return bool(self.set or self.removed or self.fill)

    def apply_to(self, state: dict[str, str]) -> None:
        """Apply this change to a state map in place."""
        for key in self.removed:
            state.pop(key, None)
        state.update(self.set)
        for key, value in self.fill.items():
            state.setdefault(key, value)

    def to_json(self) -> str:
        return json.dumps(
            {
                "prefix": self.prefix,
                "set": self.set,
                "removed": list(self.removed),
                "fill": self.fill,
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> StateChange:
        data = json.loads(text)
        if data.get("blind"):  # spooled by an earlier version: every key set was a fill
            return cls(data["prefix"], {}, (), dict(data["set"]))
        return cls(
            data["prefix"],
            dict(data["set"]),
            tuple(data["removed"]),
            dict(data.get("fill") or {}),
        )


class Store:
    """The one DuckDB file every process shares, opened briefly for each piece of work."""

    def __init__(
        self,
        path: Path,
        *,
        spool_dir: Path | None = None,
        lock_timeout: float = 20.0,
        raw_retention: timedelta = timedelta(days=42),
        rollup_5m_retention: timedelta = timedelta(days=120),
        rollup_1h_retention: timedelta = timedelta(days=800),
        alert_history_retention: timedelta = timedelta(days=90),
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.path = Path(path).resolve()
        self.limits = limits
        self.spool = Spool(spool_dir or self.path.parent / "spool")
        self.lock_timeout = lock_timeout
        self.raw_retention = raw_retention
        self.rollup_5m_retention = rollup_5m_retention
        self.rollup_1h_retention = rollup_1h_retention
        self.alert_history_retention = alert_history_retention
        # The state after the last cycle this process wrote or spooled, per source: what a
        # cycle starts from when the store cannot be read (held read-write by someone else).
        self._state_cache: dict[str, dict[str, str]] = {}
        self._blind: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any) -> Store:
        """Build from a validated Settings object."""
        s = settings.store
        return cls(
            settings.store_path,
            spool_dir=settings.spool_path,
            lock_timeout=s.lock_timeout.total_seconds(),
            raw_retention=s.raw_retention,
            rollup_5m_retention=s.rollup_5m_retention,
            rollup_1h_retention=s.rollup_1h_retention,
            alert_history_retention=s.alert_history_retention,
            limits=Limits(
                memory_limit=s.memory_limit,
                threads=s.threads or DEFAULT_LIMITS.threads,
                temp_directory=settings.resolve(s.temp_directory) if s.temp_directory else None,
            ),
        )

    # -- connections -------------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the store file has been created."""
        return self.path.exists()

    @contextmanager
    def read(self, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for one query or a few; never blocks a writer for long."""
        with connection(
            self.path, read_only=True, timeout=timeout or self.lock_timeout, limits=self.limits
        ) as con:
            yield con

    @contextmanager
    def write(
        self, timeout: float | None = None, *, replay: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection on a migrated store; replays spooled batches first."""
        with connection(
            self.path, read_only=False, timeout=timeout or self.lock_timeout, limits=self.limits
        ) as con:
            self._ensure_migrated(con)
            if replay and self.spool.pending():
                self.spool.replay(lambda kind, table: self._apply(con, kind, table))
            yield con

    def _ensure_migrated(self, con: duckdb.DuckDBPyConnection) -> None:
        with _migrate_lock:
            if self.path in _migrated:
                return
            migrate(con)
            _migrated.add(self.path)

    def migrate(self) -> list[int]:
        """Create or upgrade the schema; returns the versions applied."""
        with connection(
            self.path, read_only=False, timeout=self.lock_timeout, limits=self.limits
        ) as con:
            applied = migrate(con)
            _migrated.add(self.path)
            return applied

    def query(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one read-only query and return a DataFrame."""
        with self.read() as con:
            return con.execute(sql, params or []).df()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run a read-only query returning one value."""
        with self.read() as con:
            row = con.execute(sql, params or []).fetchone()
            return row[0] if row else None

    # -- writes ------------------------------------------------------------------------------

    def write_samples(
        self,
        data: pa.Table | pd.DataFrame,
        *,
        source: str | None = None,
        timeout: float | None = None,
        dedupe: bool | None = None,
    ) -> WriteResult:
        """Store a batch idempotently: rows whose (integration, metric, ts) exist are skipped.

        Duplicate keys inside the batch itself are collapsed when `dedupe` is true; by default
        (None) only for batches up to DEDUPE_AUTO_ROWS rows, since that costs ~2.5x on bulk
        writes. Producers of bulk batches (backfills) build unique keys by construction, and
        `seamwatch import` passes dedupe=True. If the lock cannot be had before the deadline,
        the batch is spooled durably and replayed by the next write; nothing is lost.
        """
        table, dropped = drop_unusable(to_sample_table(data, source))
        if dedupe is None:
            dedupe = table.num_rows <= DEDUPE_AUTO_ROWS
        if dedupe:
            table = table.replace_schema_metadata({b"seamwatch.dedupe": b"1"})
        if table.num_rows == 0:
            return WriteResult(0, 0, dropped, False)
        try:
            with self.write(timeout) as con:
                written = self._apply(con, "samples", table)
        except StoreLocked:
            self.spool.put("samples", table)
            return WriteResult(table.num_rows + dropped, 0, dropped, True)
        return WriteResult(table.num_rows + dropped, written, dropped, False)

    def write_cycle(
        self,
        samples: pa.Table,
        run: RunRecord,
        state: StateChange | None = None,
        *,
        timeout: float | None = None,
        dedupe: bool | None = None,
    ) -> WriteResult:
        """Store one collection cycle as one unit: its samples, its run record and its state
        change, in one transaction, or all three spooled together when the lock cannot be had.

        Nothing of a cycle is ever stored without the rest, and a replayed cycle is applied
        exactly as it would have been (samples idempotent, run once by id, state as a change).
        """
        table, dropped = drop_unusable(to_sample_table(samples, run.source))
        if table.column("source").null_count:
            table = table.set_column(
                4, "source", pc.fill_null(table.column("source"), pa.scalar(run.source))
            )
        if dedupe is None:
            dedupe = table.num_rows <= DEDUPE_AUTO_ROWS
        meta = {b"seamwatch.run": _run_json(run).encode()}
        if dedupe:
            meta[b"seamwatch.dedupe"] = b"1"
        if state:
            meta[b"seamwatch.state"] = state.to_json().encode()
        table = table.replace_schema_metadata(meta)
        try:
            with self.write(timeout) as con:
                written = self._apply(con, "cycle", table)
        except StoreLocked:
            self.spool.put("cycle", table)
            if state is not None:
                self._remember_state(state)
            return WriteResult(table.num_rows + dropped, 0, dropped, True)
        if state is not None:
            self._remember_state(state)
        return WriteResult(table.num_rows + dropped, written, dropped, False)

    def _remember_state(self, change: StateChange) -> None:
        cached = self._state_cache.setdefault(change.prefix, {})
        change.apply_to(cached)

    def state_known(self, prefix: str) -> bool:
        """Whether the last `cycle_state(prefix)` read the stored state (or this process's own)."""
        return prefix not in self._blind

    def cycle_state(self, prefix: str, *, timeout: float | None = None) -> dict[str, str]:
        """A source's state as its next cycle must see it: the stored state with the changes of
        its spooled (not yet stored) cycles applied in order; when the store cannot be read, the
        state this process last wrote or spooled."""
        try:
            state = self.get_state(prefix, timeout=timeout)
        except StoreError as exc:
            if prefix in self._state_cache:
                self._blind.discard(prefix)
                return dict(self._state_cache[prefix])
            log.warning("state of %s unreadable (%s); starting from spooled changes", prefix, exc)
            self._blind.add(prefix)
            state = {}
        else:
            self._blind.discard(prefix)
        for change in self.spool.state_changes():
            change = StateChange.from_json(change)
            if change.prefix == prefix:
                change.apply_to(state)
        self._state_cache[prefix] = dict(state)
        return state

    def record_run(self, run: RunRecord, *, timeout: float | None = None) -> None:
        """Record a collection run (spooled like samples if the store is locked)."""
        table = _run_table(run)
        try:
            with self.write(timeout) as con:
                self._apply(con, "runs", table)
        except StoreLocked:
            self.spool.put("runs", table)

    def record_ping(self, ping: Ping, *, timeout: float | None = None) -> bool:
        """Store a heartbeat; spooled (and replayed by the next write) if the store is locked.

        Returns False when it was spooled rather than written: either way it is kept.
        """
        table = pa.Table.from_pylist([ping.__dict__], schema=PING_SCHEMA)
        try:
            with self.write(timeout) as con:
                self._apply(con, "pings", table)
        except StoreLocked:
            self.spool.put("pings", table)
            return False
        return True

    def _apply(self, con: duckdb.DuckDBPyConnection, kind: str, table: pa.Table) -> int:
        """Apply one batch of a kind inside a transaction; the spool replays through here too."""
        if kind == "samples":
            return _insert_samples(con, table)
        if kind == "runs":
            _insert_runs(con, table)
            return table.num_rows
        if kind == "cycle":
            meta = table.schema.metadata or {}
            con.execute("BEGIN TRANSACTION")
            try:
                written = _insert_samples_in(con, table)
                _insert_runs(con, _run_table(_run_from_json(meta[b"seamwatch.run"])))
                if b"seamwatch.state" in meta:
                    _apply_state(con, StateChange.from_json(meta[b"seamwatch.state"]))
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            return written
        if kind == "pings":
            con.register("ping_batch", table)
            try:
                con.execute(
                    "INSERT INTO job_pings SELECT * FROM ping_batch ON CONFLICT (ping_id) DO NOTHING"
                )
            finally:
                con.unregister("ping_batch")
            return table.num_rows
        raise ValueError(f"unknown spool kind {kind!r}")

    # -- metadata ----------------------------------------------------------------------------

    def get_state(self, prefix: str, *, timeout: float | None = None) -> dict[str, str]:
        """Every meta key under `prefix.` (without the prefix): a component's persistent state."""
        if not self.exists():
            return {}
        with self.read(timeout) as con:
            try:
                rows = con.execute(
                    "SELECT key, value FROM meta WHERE starts_with(key, ?)", [prefix + "."]
                ).fetchall()
            except duckdb.CatalogException:
                return {}
        return {k[len(prefix) + 1 :]: v for k, v in rows}

    def sync_inventory(self, inventory: Any, now: datetime) -> int:
        """Mirror the loaded inventory into the integrations table."""
        from seamwatch.store.inventory_sync import sync_inventory

        with self.write() as con:
            return sync_inventory(con, inventory, now)

    def rollup(self) -> int:
        """Recompute the 5-minute, hourly and daily rollups of ranges written since the last run."""
        from seamwatch.store.maintenance import rollup

        with self.write() as con:
            return rollup(con)

    def apply_retention(self, now: datetime) -> Any:
        """Delete history (samples, rollups, alert history) older than its retention window."""
        from seamwatch.store.maintenance import apply_retention

        with self.write() as con:
            return apply_retention(
                con,
                now,
                raw=self.raw_retention,
                rollup_5m=self.rollup_5m_retention,
                rollup_1h=self.rollup_1h_retention,
                alert_history=self.alert_history_retention,
            )

    def sample_count(self) -> int:
        """Raw samples stored (0 for a store that does not exist yet)."""
        if not self.exists():
            return 0
        with self.read() as con:
            try:
                return int(con.execute("SELECT count(*) FROM samples").fetchone()[0])  # type: ignore[index]
            except duckdb.CatalogException:
                return 0

    def schema_version(self) -> tuple[int, int]:
        """(version of the file, version this code expects)."""
        from seamwatch.store.schema import current_version

        if not self.exists():
            return 0, latest_version()
        with self.read() as con:
            return current_version(con), latest_version()


def _run_json(run: RunRecord) -> str:
    """A run record as JSON, to travel in a spooled cycle's metadata."""
    return json.dumps(
        {
            "run_id": run.run_id,
            "source": run.source,
            "kind": run.kind,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat(),
            "samples": run.samples,
            "status": run.status,
            "error": run.error,
            "failures": run.failures or [],
        }
    )


def _run_from_json(text: bytes | str) -> RunRecord:
    data = json.loads(text)
    data["started_at"] = datetime.fromisoformat(data["started_at"])
    data["finished_at"] = datetime.fromisoformat(data["finished_at"])
    return RunRecord(**data)


def _run_table(run: RunRecord) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "run_id": run.run_id,
                "source": run.source,
                "kind": run.kind,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "samples": run.samples,
                "status": run.status,
                "error": run.error,
                "failures": json.dumps(run.failures or []),
            }
        ],
        schema=RUN_SCHEMA,
    )


def _insert_runs(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    con.register("run_batch", table)
    try:
        con.execute(
            "INSERT INTO runs SELECT run_id, source, kind, started_at, finished_at, samples,"
            " status, error, CAST(failures AS JSON) FROM run_batch"
            " ON CONFLICT (run_id) DO NOTHING"
        )
    finally:
        con.unregister("run_batch")


def _apply_state(con: duckdb.DuckDBPyConnection, change: StateChange) -> None:
    """Apply a state change to the meta table inside the caller's transaction."""
    if change.fill:
        con.executemany(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            [[f"{change.prefix}.{k}", v] for k, v in change.fill.items()],
        )
    keys = [f"{change.prefix}.{k}" for k in (*change.removed, *change.set)]
    if keys:
        con.execute("DELETE FROM meta WHERE list_contains(?, key)", [keys])
    if change.set:
        con.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [[f"{change.prefix}.{k}", v] for k, v in change.set.items()],
        )


def _insert_samples(con: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
    """Insert rows not already stored, update `latest`, mark the range for rollup; one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        written = _insert_samples_in(con, table)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return written


def _insert_samples_in(con: duckdb.DuckDBPyConnection, table: pa.Table) -> int:
    """The sample insert inside the caller's transaction.

    `latest` is maintained from the rows actually inserted, so it never shows a value that
    `samples` refused (a second write of a key, or another source's write of it).
    """
    if table.num_rows == 0:
        return 0
    dedupe = (table.schema.metadata or {}).get(b"seamwatch.dedupe") == b"1"
    unique_rows = (
        "SELECT * FROM sample_batch"
        " QUALIFY row_number() OVER (PARTITION BY integration_id, metric, ts) = 1"
        if dedupe
        else "SELECT * FROM sample_batch"
    )
    con.register("sample_batch", table)
    try:
        # fetchall: a result left half-read blocks the next statement on this connection
        (digest,) = con.execute(
            "SELECT min(ts), max(ts), count(*), sum(hash(ts, integration_id, metric))"
            " FROM sample_batch"
        ).fetchall()
        lo, hi, rows, key_sum = digest
        ((seen,),) = con.execute(
            "SELECT count(*) FROM sample_batches WHERE lo = ? AND hi = ? AND rows = ?"
            " AND key_sum = ?",
            [lo, hi, rows, key_sum],
        ).fetchall()
        if seen:  # this very batch was stored before: nothing to join, insert or mark
            return 0
        con.execute("INSERT INTO sample_batches VALUES (?, ?, ?, ?)", [lo, hi, rows, key_sum])
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE new_samples AS
            SELECT b.ts, b.integration_id, b.metric, b.value, b.source
            FROM ({unique_rows}) b
            ANTI JOIN (
                SELECT ts, integration_id, metric FROM samples WHERE ts BETWEEN $lo AND $hi
            ) s ON s.ts = b.ts AND s.integration_id = b.integration_id AND s.metric = b.metric
            """,
            {"lo": lo, "hi": hi},
        )
        ((written,),) = con.execute("SELECT count(*) FROM new_samples").fetchall()
        if not written:
            # Every key was stored already (by other batches): `latest` is current and no
            # rollup bucket changes.
            con.execute("DROP TABLE new_samples")
            return 0
        con.execute("INSERT INTO samples SELECT * FROM new_samples")
        con.execute(
            """
            INSERT INTO latest
            SELECT integration_id, metric, max(ts), arg_max(value, ts), arg_max(source, ts), min(ts)
            FROM new_samples GROUP BY integration_id, metric
            ON CONFLICT (integration_id, metric) DO UPDATE SET
                value = CASE WHEN excluded.ts >= latest.ts THEN excluded.value ELSE latest.value END,
                source = CASE WHEN excluded.ts >= latest.ts THEN excluded.source ELSE latest.source END,
                ts = greatest(latest.ts, excluded.ts),
                first_ts = least(latest.first_ts, excluded.first_ts)
            """
        )
        con.execute("DROP TABLE new_samples")
        con.execute("INSERT INTO rollup_dirty VALUES (?, ?)", [lo, hi])
    finally:
        con.unregister("sample_batch")
    return int(written)
