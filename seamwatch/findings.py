"""The finding as every reader sees it: one read model of `v_findings`, and the one reader.

Detectors write findings (`detectors.types.Finding` is what a detector concludes); everything
downstream (alerts, reports, the app, the CLI, mutes) reads them back as this `Finding`: one
episode with the facts of its integration, the onset a person reads as "since", and the values
route, silence and maintenance matchers compare.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from functools import cache
from typing import Any

from seamwatch.finding_kind import FindingKind
from seamwatch.matching import field_values
from seamwatch.severity import severity_rank
from seamwatch.timeutil import ensure_utc


@dataclass(frozen=True)
class Finding:
    """One finding episode (a row of `v_findings`) with its integration's facts.

    `name` falls back to the integration id when the integration is in no inventory file
    (`inventoried` says which). `onset` is when the change began; `first_seen` when it was
    detected. `evidence` (the detector's figures) is left out of equality and hashing.
    """

    finding_id: str
    fingerprint: str
    integration_id: str
    name: str
    owner: str | None
    metric: str
    detector: str
    severity: str
    summary: str
    status: str
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None
    tier: int | None = None
    lifecycle: str | None = None
    chat_route: str | None = None
    runbook: str | None = None
    source_system: str | None = None
    target_system: str | None = None
    tags: tuple[str, ...] = ()
    onset: datetime | None = None
    pattern: str | None = None
    inventoried: bool = True
    kind: str = FindingKind.DEGRADATION.value
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def began(self) -> datetime:
        """When the change began (the onset), else when it was first detected."""
        return self.onset or self.first_seen

    @property
    def is_open(self) -> bool:
        """Whether the finding is still open."""
        return self.status == "open"

    @property
    def rank(self) -> int:
        """Its severity's rank (critical 3 ... unknown 0)."""
        return severity_rank(self.severity)

    @property
    def worst_first(self) -> tuple[int, int, datetime]:
        """Sort key, worst first: severity, then tier (1 is most critical), then the oldest."""
        return (-self.rank, self.tier or 9, self.began)

    def field_values(self, name: str) -> list[str]:
        """The values a route, silence or maintenance matcher compares for a field name."""
        return field_values(lambda key: getattr(self, key, None), name)

    def as_dict(self) -> dict[str, Any]:
        """Column -> value (tags as a list), e.g. for a JSON line or a DataFrame."""
        out = asdict(self)
        out["tags"] = list(self.tags)
        out["evidence"] = dict(self.evidence)
        return out

    @classmethod
    def from_row(cls, row: Mapping[str, Any], **extra: Any) -> Any:
        """A finding from a row of `v_findings` (a dict, a pandas record or a DuckDB row dict).

        Missing optional columns take their defaults; pandas' NaN/NaT become None, a tier read
        as a float becomes an int, tags any sequence, evidence JSON text. `extra` fills fields a
        subclass adds (a report's numbers).
        """
        values = {name: convert(row[name]) for name, convert in _converters(cls) if name in row}
        if not values.get("name"):
            values["name"] = str(row["integration_id"])
        if values.get("metric") is None:
            values["metric"] = ""
        values.update(extra)
        return cls(**values)


FINDING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Finding))
"""The columns of `v_findings` the read model carries, in field order."""


def _missing(value: Any) -> bool:
    """None, NaN or NaT (the ways a missing value arrives through DuckDB and pandas)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas' NA: neither equal nor unequal to itself
        return True
    except ValueError:  # an array (tags): present
        return False


def _text(value: Any) -> str | None:
    return None if _missing(value) else str(value)


def _time(value: Any) -> datetime | None:
    if _missing(value):
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return ensure_utc(value)


def _tier(value: Any) -> int | None:
    return None if _missing(value) else int(value)


def _tags(value: Any) -> tuple[str, ...]:
    if value is None or isinstance(value, float | str):
        return () if not isinstance(value, str) else (value,)
    return tuple(str(tag) for tag in value)


def _evidence(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if _missing(value) or not value:
        return {}
    try:
        data = json.loads(str(value))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _bool(value: Any) -> bool:
    return True if _missing(value) else bool(value)


_CONVERT = {
    "first_seen": _time,
    "last_seen": _time,
    "resolved_at": _time,
    "onset": _time,
    "tier": _tier,
    "tags": _tags,
    "evidence": _evidence,
    "inventoried": _bool,
}


@cache
def _converters(cls: type) -> tuple[tuple[str, Any], ...]:
    """(field, converter) of a read model class, worked out once per class: planning reads
    thousands of rows per cycle."""
    return tuple((f.name, _CONVERT.get(f.name, _text)) for f in fields(cls))


def findings_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Read models of rows of `v_findings` (any mapping per row)."""
    return [Finding.from_row(row) for row in rows]


FINDINGS_SQL = f"""
SELECT {", ".join(FINDING_COLUMNS)}
FROM v_findings
WHERE (CAST($status AS VARCHAR) IS NULL OR status = $status)
  AND (CAST($integration_id AS VARCHAR) IS NULL OR integration_id = $integration_id)
  AND (CAST($owner AS VARCHAR) IS NULL OR owner = $owner)
  AND (CAST($ids AS VARCHAR[]) IS NULL OR list_contains(CAST($ids AS VARCHAR[]), finding_id))
  AND (CAST($active_since AS TIMESTAMPTZ) IS NULL OR status = 'open'
       OR coalesce(resolved_at, last_seen) >= $active_since)
ORDER BY first_seen, finding_id
"""


def read_findings(
    con: Any,
    *,
    status: str | None = None,
    integration_id: str | None = None,
    owner: str | None = None,
    finding_ids: Sequence[str] | None = None,
    active_since: datetime | None = None,
) -> list[Finding]:
    """Findings from an open DuckDB connection, oldest first, filtered by whatever is given.

    `active_since`: open ones, and resolved ones last active at or after that time.
    """
    cursor = con.execute(
        FINDINGS_SQL,
        {
            "status": status,
            "integration_id": integration_id,
            "owner": owner,
            "ids": list(finding_ids) if finding_ids is not None else None,
            "active_since": active_since,
        },
    )
    names = [d[0] for d in cursor.description]
    return [Finding.from_row(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def load_findings(store: Any, **filters: Any) -> list[Finding]:
    """`read_findings` on a short read-only connection of a `seamwatch.store.Store`.

    An absent store has no findings yet.
    """
    if not store.exists():
        return []
    with store.read() as con:
        return read_findings(con, **filters)
