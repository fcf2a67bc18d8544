"""Job runs as of a time (migration 061's `job_runs_between`): what the schedule detector reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from seamwatch.timeutil import ensure_utc

RUNS_SQL = """
SELECT integration_id, started_at, finished_at, duration_s, status, exit_status, body, feed
FROM job_runs_between($lo, $hi, $ids)
ORDER BY integration_id, coalesce(started_at, finished_at)
"""


@dataclass(frozen=True)
class JobRun:
    """One run of a batch job, from its heartbeats or its throughput.

    status: success | fail | running | unfinished (a new start came before an end) from
    heartbeats; ended | running from throughput. `started_at` is None for a run that only
    reported its end.
    """

    integration_id: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    feed: str
    exit_status: int | None = None
    body: str | None = None

    @property
    def at(self) -> datetime:
        """When it ran: its start, or its end when it never reported a start."""
        return self.started_at or self.finished_at  # type: ignore[return-value]

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def failed(self) -> bool:
        """It reported failure (fail ping, non-zero exit) or never reported an end."""
        return self.status in ("fail", "unfinished")


def job_runs(
    con: duckdb.DuckDBPyConnection, ids: list[str], lo: datetime, hi: datetime
) -> dict[str, list[JobRun]]:
    """The runs of these integrations that began in [lo, hi], as seen at `hi`, oldest first."""
    if not ids:
        return {}
    try:
        rows = con.execute(
            RUNS_SQL, {"lo": ensure_utc(lo), "hi": ensure_utc(hi), "ids": sorted(ids)}
        ).fetchall()
    except duckdb.CatalogException:  # a store not migrated to 061 yet: no runs to read
        return {}
    runs: dict[str, list[JobRun]] = {}
    for iid, started, finished, _duration, status, exit_status, body, feed in rows:
        runs.setdefault(iid, []).append(
            JobRun(
                iid,
                ensure_utc(started) if started else None,
                ensure_utc(finished) if finished else None,
                status,
                feed,
                exit_status,
                body,
            )
        )
    return runs
