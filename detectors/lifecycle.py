"""Findings over time: one open row per fingerprint, hysteresis before resolving, history kept.

A finding's fingerprint is a stable hash of (integration, metric, detector). Detected again, the
open row is updated (severity, summary, evidence, last_seen). Not detected, its clear_count
grows; after `resolve_after` clear evaluations it is resolved. Detected after resolving, a new
row opens (finding_id = fingerprint:epoch of first_seen), so every episode stays in history.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from detectors.types import Finding
from seamwatch.store import Store
from seamwatch.timeutil import utcnow

CURRENT_SCHEMA = pa.schema(
    [
        ("fingerprint", pa.string()),
        ("integration_id", pa.string()),
        ("metric", pa.string()),
        ("detector", pa.string()),
        ("severity", pa.string()),
        ("summary", pa.string()),
        ("evidence", pa.string()),
        ("onset", pa.timestamp("us", tz="UTC")),
        ("kind", pa.string()),
    ]
)


def fingerprint(integration_id: str, metric: str, detector: str) -> str:
    """A stable id for (integration, metric, detector)."""
    raw = "\x1f".join((integration_id, metric, detector)).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class LifecycleResult:
    """What one persisted evaluation changed."""

    run_id: str
    opened: int
    updated: int
    resolved: int


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> int:
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def apply_findings(
    store: Store,
    findings: list[Finding],
    as_of: datetime,
    *,
    resolve_after: int,
    detectors_ran: list[str],
    started_at: datetime | None = None,
    series: int = 0,
    error: str | None = None,
) -> LifecycleResult:
    """Persist one evaluation's findings and the run record, in one transaction.

    `detectors_ran` are the detector names to resolve when not found again: what the entries
    that ran declared they emit (`detectors.emitted_names`), never a list kept here.
    """
    current = pa.Table.from_pylist(
        [
            {
                "fingerprint": fingerprint(*f.key),
                "integration_id": f.integration_id,
                "metric": f.metric,
                "detector": f.detector,
                "severity": f.severity.value,
                "summary": f.summary,
                "evidence": json.dumps(f.evidence, default=str),
                "onset": f.onset,
                "kind": f.kind.value,
            }
            for f in findings
        ],
        schema=CURRENT_SCHEMA,
    )
    run_id = uuid.uuid4().hex
    params = {"as_of": as_of}
    with store.write() as con:
        con.register("current_findings", current)
        con.register("ran", pa.table({"detector": pa.array(detectors_ran, pa.string())}))
        try:
            con.execute("BEGIN TRANSACTION")
            updated = _count(
                con,
                """
                UPDATE findings SET severity = c.severity, summary = c.summary,
                    evidence = CAST(c.evidence AS JSON), last_seen = $as_of, clear_count = 0,
                    onset = coalesce(c.onset, findings.onset), kind = c.kind
                FROM current_findings c
                WHERE findings.fingerprint = c.fingerprint AND findings.status = 'open'
                """,
                params,
            )
            opened = _count(
                con,
                """
                INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,
                    severity, summary, evidence, status, first_seen, last_seen, resolved_at,
                    clear_count, onset, kind)
                SELECT c.fingerprint || ':' || CAST(CAST(epoch($as_of) AS BIGINT) AS VARCHAR),
                       c.fingerprint, c.integration_id, c.metric, c.detector, c.severity, c.summary,
                       CAST(c.evidence AS JSON), 'open', $as_of, $as_of, NULL, 0,
                       least(coalesce(c.onset, $as_of), $as_of), c.kind
                FROM current_findings c
                WHERE c.fingerprint NOT IN (SELECT fingerprint FROM findings WHERE status = 'open')
                ON CONFLICT (finding_id) DO NOTHING
                """,
                params,
            )
            con.execute(
                """
                UPDATE findings SET clear_count = clear_count + 1
                WHERE status = 'open'
                  AND fingerprint NOT IN (SELECT fingerprint FROM current_findings)
                  AND detector IN (SELECT detector FROM ran)
                """
            )
            resolved = _count(
                con,
                """
                UPDATE findings SET status = 'resolved', resolved_at = $as_of
                WHERE status = 'open' AND clear_count >= $n
                """,
                {**params, "n": resolve_after},
            )
            con.execute(
                "INSERT INTO detector_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    as_of,
                    started_at or as_of,
                    utcnow(),
                    series,
                    opened,
                    updated,
                    resolved,
                    error,
                ],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("current_findings")
            con.unregister("ran")
    return LifecycleResult(run_id, opened, updated, resolved)


def history_first_seen(
    store: Store, keys: list[tuple[str, str, str]], as_of: datetime
) -> dict[tuple[str, str, str], datetime]:
    """For `detect --as-of`: when the stored episode covering as_of began, per fingerprint."""
    if not keys or not store.exists():
        return {}
    wanted = {fingerprint(*k): k for k in keys}
    try:
        with store.read() as con:
            rows = con.execute(
                """
                SELECT fingerprint, max(first_seen) FROM findings
                WHERE fingerprint IN (SELECT unnest($fps)) AND first_seen <= $as_of
                  AND (resolved_at IS NULL OR resolved_at >= $as_of)
                GROUP BY fingerprint
                """,
                {"fps": list(wanted), "as_of": as_of},
            ).fetchall()
    except duckdb.CatalogException:
        return {}
    return {wanted[fp]: first for fp, first in rows}
