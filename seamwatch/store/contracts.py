"""Contract versions, checks and changes in the store (migration 050): the writes of the
contracts job and the reads its detector and the scorecard share."""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, field
from datetime import datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class SpecChange:
    """One change between consecutive versions (see collectors/contract_diff.py)."""

    breaking: bool
    kind: str
    location: str
    description: str


@dataclass
class ContractCheck:
    """What one check of one integration's spec found.

    status: `ok` (fetched and valid), `unreachable` (could not be fetched or read) or `invalid`
    (not a valid OpenAPI/AsyncAPI document). For `ok`, the document and its identity; when it
    differs from the stored current version, `changes` against that version.
    """

    integration_id: str
    spec_url: str
    status: str
    error: str | None = None
    format: str | None = None
    spec_version: str | None = None
    api_version: str | None = None
    title: str | None = None
    digest: str | None = None
    document: dict[str, Any] | None = None
    changes: list[SpecChange] = field(default_factory=list)


@dataclass(frozen=True)
class CurrentVersion:
    """The newest stored version of an integration's spec."""

    seq: int
    digest: str
    document: dict[str, Any]
    api_version: str | None


def current_versions(con: duckdb.DuckDBPyConnection) -> dict[str, CurrentVersion]:
    """The newest version of every integration's spec, with its document (to diff against)."""
    rows = con.execute(
        """
        SELECT integration_id, seq, digest, CAST(document AS VARCHAR), api_version
        FROM contract_versions
        QUALIFY row_number() OVER (PARTITION BY integration_id ORDER BY seq DESC) = 1
        """
    ).fetchall()
    return {r[0]: CurrentVersion(int(r[1]), r[2], json.loads(r[3]), r[4]) for r in rows}


def record_checks(
    con: duckdb.DuckDBPyConnection, checks: list[ContractCheck], now: datetime
) -> dict[str, int]:
    """Store one round of checks in one transaction: each check, a new version for every
    document that differs from its integration's current one, and that version's changes.
    Returns the new version number per integration that got one."""
    new_versions: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        current = current_versions(con)
        for check in checks:
            seq = None
            if check.status == "ok" and check.digest is not None:
                was = current.get(check.integration_id)
                if was is not None and was.digest == check.digest:
                    seq = was.seq
                    con.execute(
                        "UPDATE contract_versions SET last_seen = ? WHERE integration_id = ? AND seq = ?",
                        [now, check.integration_id, seq],
                    )
                else:
                    seq = (was.seq if was else 0) + 1
                    con.execute(
                        "INSERT INTO contract_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSON), ?, ?)",
                        [
                            check.integration_id,
                            seq,
                            check.digest,
                            check.spec_url,
                            check.format,
                            check.spec_version,
                            check.api_version,
                            check.title,
                            json.dumps(check.document, sort_keys=True, default=str),
                            now,
                            now,
                        ],
                    )
                    new_versions[check.integration_id] = seq
                    if was is not None and check.changes:
                        con.executemany(
                            "INSERT INTO contract_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [
                                (check.integration_id, was.seq, seq, now, *astuple(c))
                                for c in check.changes
                            ],
                        )
            con.execute(
                "INSERT INTO contract_checks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    check.integration_id,
                    now,
                    check.spec_url,
                    check.status,
                    check.error,
                    check.digest,
                    seq,
                ],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return new_versions


@dataclass(frozen=True)
class ContractState:
    """What the contract detector reads: per integration its latest check and the changes of
    its newest version (empty when it has only one)."""

    integration_id: str
    status: str
    error: str | None
    spec_url: str
    checked_at: datetime
    seq: int | None
    api_version: str | None
    from_version: str | None
    changed_at: datetime | None
    changes: list[SpecChange]


STATE_SQL = """
WITH last_check AS (
    SELECT * FROM contract_checks WHERE checked_at <= $as_of
    QUALIFY row_number() OVER (PARTITION BY integration_id ORDER BY checked_at DESC) = 1
),
newest AS (
    SELECT integration_id, max(seq) AS seq FROM contract_versions
    WHERE first_seen <= $as_of GROUP BY integration_id
)
SELECT c.integration_id, c.status, c.error, c.spec_url, c.checked_at, n.seq,
       v.api_version,
       (SELECT api_version FROM contract_versions p
        WHERE p.integration_id = c.integration_id AND p.seq = n.seq - 1) AS from_version,
       v.first_seen AS changed_at,
       (SELECT list(struct_pack(breaking := ch.breaking, kind := ch.kind,
                                location := ch.location, description := ch.description)
                    ORDER BY ch.breaking DESC, ch.location)
        FROM contract_changes ch
        WHERE ch.integration_id = c.integration_id AND ch.to_seq = n.seq) AS changes
FROM last_check c
LEFT JOIN newest n USING (integration_id)
LEFT JOIN contract_versions v ON v.integration_id = c.integration_id AND v.seq = n.seq
ORDER BY c.integration_id
"""


def contract_states(con: duckdb.DuckDBPyConnection, as_of: datetime) -> list[ContractState]:
    """Every integration's contract state as of a moment."""
    rows = con.execute(STATE_SQL, {"as_of": as_of}).fetchall()
    return [
        ContractState(
            integration_id=r[0],
            status=r[1],
            error=r[2],
            spec_url=r[3],
            checked_at=r[4],
            seq=r[5],
            api_version=r[6],
            from_version=r[7],
            changed_at=r[8],
            changes=[SpecChange(**c) for c in (r[9] or [])],
        )
        for r in rows
    ]
