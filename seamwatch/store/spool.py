"""A durable on-disk spool for batches a writer could not store because the file was locked.

Each batch is one Parquet file, written to a temporary name, fsynced and renamed, so a crash
leaves either a whole batch or none. Replay applies them oldest first and deletes each after
its transaction commits.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)


class Spool:
    """Batches waiting for the store, one file per batch, named <kind>--<time>--<uuid>.parquet."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, kind: str, table: pa.Table) -> Path:
        """Persist a batch durably; returns its file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{kind}--{time.time_ns():020d}--{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.directory / f".{name}.tmp"
        pq.write_table(table, tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        final = self.directory / name
        os.replace(tmp, final)
        log.warning("store locked: spooled %d %s rows to %s", table.num_rows, kind, final)
        return final

    def pending(self) -> list[Path]:
        """Spooled batches, oldest first."""
        if not self.directory.exists():
            return []
        return sorted(p for p in self.directory.glob("*--*.parquet") if not p.name.startswith("."))

    def depth(self) -> int:
        """How many batches are waiting."""
        return len(self.pending())

    def state_changes(self) -> list[bytes]:
        """The state changes carried by spooled cycles, oldest first (read from file footers)."""
        changes = []
        for path in self.pending():
            if not path.name.startswith("cycle--"):
                continue
            try:
                meta = pq.read_schema(path).metadata or {}
            except Exception:  # a torn file: replay moves it aside
                continue
            if b"seamwatch.state" in meta:
                changes.append(meta[b"seamwatch.state"])
        return changes

    def replay(self, apply: Callable[[str, pa.Table], None]) -> int:
        """Apply every pending batch through `apply(kind, table)`, deleting each once applied."""
        done = 0
        for path in self.pending():
            kind = path.name.split("--", 1)[0]
            try:
                table = pq.read_table(path)
            except Exception as exc:  # a torn file cannot be replayed; keep it for inspection
                bad = path.with_suffix(".corrupt")
                path.rename(bad)
                log.error("spooled batch %s is unreadable (%s); moved to %s", path, exc, bad)
                continue
            apply(kind, table)
            path.unlink()
            done += 1
        if done:
            log.info("replayed %d spooled batches", done)
        return done
