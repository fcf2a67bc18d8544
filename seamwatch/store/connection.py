"""Short-lived DuckDB connections that wait out other processes' locks with jittered backoff.

DuckDB lets one process open a file read-write and then nobody else, or many read-only. Every
connection here is opened for one unit of work and closed straight after.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from seamwatch.errors import StoreError, StoreLocked, StoreMissing

log = logging.getLogger(__name__)

_FIRST_WAIT = 0.02
_MAX_WAIT = 0.5


def is_lock_error(exc: BaseException) -> bool:
    """True when the file is busy: DuckDB's "Could not set lock on file" (another process holds
    it), or, inside the daemon, another thread holding it open in the other mode."""
    text = str(exc).lower()
    if isinstance(exc, duckdb.IOException) and "lock" in text:
        return True
    return "different configuration than existing connections" in text


def open_connection(path: Path, *, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
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
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.Error as exc:
            if not is_lock_error(exc):
                raise StoreError(f"cannot open the store {path}: {exc}") from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                holder = str(exc).split("Conflicting lock is held in", 1)[-1].strip()
                raise StoreLocked(
                    f"the store {path} stayed locked by another process for {timeout:.0f}s "
                    f"({attempts} attempts; holder: {holder[:120]})"
                ) from exc
            time.sleep(min(remaining, wait * random.uniform(0.5, 1.5)))
            wait = min(wait * 2, _MAX_WAIT)


@contextmanager
def connection(
    path: Path, *, read_only: bool, timeout: float
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for one unit of work, always closed afterwards."""
    con = open_connection(path, read_only=read_only, timeout=timeout)
    try:
        yield con
    finally:
        con.close()
