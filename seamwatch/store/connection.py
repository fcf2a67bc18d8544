"""Short-lived DuckDB connections that wait out other processes' locks with jittered backoff.

DuckDB lets one process open a file read-write and then nobody else, or many read-only. Every
connection here is opened for one unit of work and closed straight after.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from seamwatch.config.sections import DEFAULT_MEMORY_LIMIT, check_memory_limit
from seamwatch.errors import StoreError, StoreLocked, StoreMissing

log = logging.getLogger(__name__)

_FIRST_WAIT = 0.02
_MAX_WAIT = 0.5


def default_threads() -> int:
    """Two threads, or one on a single core: a shared machine keeps room for its neighbours."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class Limits:
    """What one process's DuckDB may use of a shared machine: memory, threads, spill space.

    DuckDB's own default is 80% of RAM and every core: a first backfill of a large fleet then
    takes the whole machine. Past `memory_limit` DuckDB spills to `temp_directory` (None: its
    default, `<store file>.tmp` next to the store) instead of growing.
    """

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = field(default_factory=default_threads)
    temp_directory: Path | None = None

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        """Set the limits on a fresh connection (SET, not connect-time config: the database
        instance is shared by a process's connections and a different config would be refused)."""
        con.execute(f"SET memory_limit = '{check_memory_limit(self.memory_limit)}'")
        con.execute(f"SET threads = {int(self.threads)}")
        if self.temp_directory is not None:
            quoted = str(self.temp_directory).replace("'", "''")
            con.execute(f"SET temp_directory = '{quoted}'")


DEFAULT_LIMITS = Limits()


def is_lock_error(exc: BaseException) -> bool:
    """True for DuckDB's "Could not set lock on file": another process holds the file.

    Threads of this process never conflict this way: `ModeGate` orders them.
    """
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def lock_holder(exc: BaseException) -> str:
    """Who holds the lock, whole: "program (PID n)" from DuckDB's message, else its first line."""
    text = str(exc)
    found = re.search(r"lock is held in (.+?) \(PID (\d+)\)", text)
    if found:
        return f"{found.group(1)} (PID {found.group(2)})"
    return text.splitlines()[0] if text else type(exc).__name__


def open_connection(
    path: Path, *, read_only: bool, timeout: float, limits: Limits = DEFAULT_LIMITS
) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying lock conflicts with jittered exponential backoff until timeout.

    Raises StoreMissing for a read of a file that does not exist, StoreLocked at the deadline.
    """
    if read_only and not path.exists():
        raise StoreMissing(
            f"no store at {path}: run `seamwatch demo` to seed one, or `seamwatch run` to collect"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    wait = _FIRST_WAIT
    attempts = 0
    while True:
        attempts += 1
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise StoreError(f"cannot open the store {path}: {exc}") from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreLocked(
                    f"the store {path} stayed locked by another process for {timeout:g}s "
                    f"({attempts} attempts; held by {lock_holder(exc)})"
                ) from exc
            time.sleep(min(remaining, wait * random.uniform(0.5, 1.5)))
            wait = min(wait * 2, _MAX_WAIT)
            continue
        try:
            con.execute("SET TimeZone = 'UTC'")
            limits.apply(con)
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"cannot configure the connection to {path}: {exc}") from exc
        return con


class ModeGate:
    """Orders a process's own connections to one file: many readers, or one writer.

    DuckDB refuses, inside one process, a read-only connection to a file that is open
    read-write ("different configuration than existing connections"), and two writers of one
    process conflict on the same keys. So the threads of a process (the scheduler's jobs) take
    turns: any number of readers together, or one writer (re-entrant for its own thread).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer: int | None = None
        self._depth = 0
        self._writers_waiting = 0

    def acquire(self, read_only: bool, timeout: float) -> bool:
        """Wait for our turn; False at the deadline."""
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._writer == me:
                self._depth += 1
                return True
            if not read_only:
                self._writers_waiting += 1
            try:
                # Writers go first: a stream of short reads must not starve a waiting writer.
                while (
                    self._writer is not None
                    or (not read_only and self._readers)
                    or (read_only and self._writers_waiting)
                ):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False
                    self._cond.wait(remaining)
            finally:
                if not read_only:
                    self._writers_waiting -= 1
            if read_only:
                self._readers += 1
            else:
                self._writer, self._depth = me, 1
            return True

    def release(self) -> None:
        """One connection closed; wake the waiters when the file is free."""
        with self._cond:
            if self._writer == threading.get_ident():
                self._depth -= 1
                if self._depth == 0:
                    self._writer = None
            else:
                self._readers -= 1
            self._cond.notify_all()


_gates: dict[Path, ModeGate] = {}
_gates_lock = threading.Lock()


def _gate(path: Path) -> ModeGate:
    with _gates_lock:
        return _gates.setdefault(path.resolve(), ModeGate())


@contextmanager
def connection(
    path: Path, *, read_only: bool, timeout: float, limits: Limits = DEFAULT_LIMITS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one unit of work, always closed afterwards."""
    gate = _gate(path)
    if not gate.acquire(read_only, timeout):
        mode = "read-only" if read_only else "read-write"
        raise StoreLocked(
            f"the store {path} stayed busy in this process for {timeout:g}s "
            f"(waiting to open it {mode})"
        )
    try:
        con = open_connection(path, read_only=read_only, timeout=timeout, limits=limits)
        try:
            yield con
        finally:
            con.close()
    finally:
        gate.release()
