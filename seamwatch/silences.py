"""Silences: create, list and expire the time-boxed mutes in the store's `silences` table.

One implementation for every writer (`seamwatch silence`, the dashboard's form) and reader (the
alerts stage, the dashboard, `seamwatch detect`): one id format, one field list
(`seamwatch.matching.MATCH_FIELDS` and its aliases), one stored form of the matchers and one set
of rules for what a silence must say (why, who, until when).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from seamwatch.errors import SeamwatchError
from seamwatch.inventory import TIERS
from seamwatch.matching import ALIASES, MATCH_FIELDS, normalise, value_matches
from seamwatch.severity import SEVERITIES
from seamwatch.timeutil import ensure_utc

SILENCE_FIELDS = (*MATCH_FIELDS, *ALIASES)
"""The field names a silence may be given (aliases resolve to match fields)."""

CLOSED_FIELDS: dict[str, tuple[str, ...]] = {
    "severity": tuple(s.value for s in SEVERITIES),
    "tier": tuple(str(t) for t in TIERS),
}
"""Fields whose values are a closed set: a matcher outside it would never match anything."""

ID_LENGTH = 12
"""Hex digits of a new silence's id: short enough to type, `expire` also takes a prefix.
(Silences the dashboard wrote before this module carry 32; they are read the same way.)"""

_COLUMNS = "silence_id, matchers, starts_at, ends_at, comment, author, created_at, expired_at"


class SilenceError(SeamwatchError):
    """A silence cannot be added or expired as asked; the message says which field and why."""


@dataclass(frozen=True)
class Silence:
    """A time-boxed mute: findings matching every matcher are muted from `starts_at` until
    `ends_at` (or until expired early)."""

    silence_id: str
    matchers: dict[str, list[str]]
    starts_at: datetime
    ends_at: datetime
    comment: str
    author: str
    created_at: datetime
    expired_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """In force at `now`."""
        return self.expired_at is None and self.starts_at <= now < self.ends_at

    def state(self, now: datetime) -> str:
        """`pending`, `active` or `expired` at `now`."""
        if self.expired_at is not None or now >= self.ends_at:
            return "expired"
        return "active" if now >= self.starts_at else "pending"

    def describe(self) -> str:
        """ "integration_id=crm-orders, severity=warning|critical" (fields sorted)."""
        return describe(self.matchers)


def describe(matchers: Mapping[str, object]) -> str:
    """Matchers as one line, fields sorted, several values joined by `|` ("—" when none)."""
    parts = []
    for key, value in sorted(matchers.items()):
        shown = "|".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or "—"


def matchers_of(value: object) -> dict[str, list[str]]:
    """Stored matchers (JSON text or a mapping) as field -> accepted values, aliases resolved;
    {} when unreadable (a silence that cannot be read mutes nothing)."""
    if isinstance(value, Mapping):
        data: object = value
    else:
        try:
            data = json.loads(str(value))
        except (TypeError, ValueError):
            return {}
    return normalise(data) if isinstance(data, Mapping) else {}


def parse_matchers(pairs: Sequence[str]) -> dict[str, list[str]]:
    """`field=value` pairs (repeatable; a field given twice matches either value)."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        field, value = field.strip(), value.strip()
        if not sep or not field or not value:
            raise SilenceError(
                f"matcher {pair!r} is not field=value (e.g. integration=crm-orders-to-erp)"
            )
        out.setdefault(field, []).append(value)
    return check_matchers(out)


def check_matchers(matchers: Mapping[str, object]) -> dict[str, list[str]]:
    """Matchers as a silence stores them: known fields only, empty values dropped, aliases
    resolved, at least one left."""
    out: dict[str, list[str]] = {}
    for field, value in matchers.items():
        values = value if isinstance(value, list | tuple) else [value]
        kept = [str(v).strip() for v in values if v is not None and str(v).strip()]
        if not kept:
            continue
        if field not in SILENCE_FIELDS:
            raise SilenceError(
                f"unknown field {field!r}: a silence cannot match on it "
                f"(known: {', '.join(MATCH_FIELDS)})"
            )
        out.setdefault(field, []).extend(kept)
    if not out:
        raise SilenceError(
            "a silence needs at least one matcher, e.g. integration=crm-orders-to-erp"
        )
    return normalise(out)


def closed_field_problem(matchers: Mapping[str, Sequence[str]]) -> str | None:
    """ "severity=bogus: no finding has that severity (one of: ...)" for a value of a closed
    field no finding can have (a wildcard must match one of them); None when all can match."""
    for field, allowed in CLOSED_FIELDS.items():
        for pattern in matchers.get(field, []):
            if not any(value_matches(pattern, value) for value in allowed):
                return (
                    f"{field}={pattern}: no finding has that {field} (one of: {', '.join(allowed)})"
                )
    return None


def stored_matchers(matchers: Mapping[str, Sequence[str]]) -> str:
    """The JSON the `silences` table holds: fields sorted, a single value as a string."""
    compact = {k: v[0] if len(v) == 1 else list(v) for k, v in sorted(matchers.items())}
    return json.dumps(compact, sort_keys=True)


def add_silence(
    store: Any,
    matchers: Mapping[str, object],
    *,
    ends_at: datetime,
    comment: str,
    author: str,
    now: datetime,
    starts_at: datetime | None = None,
) -> Silence:
    """Validate and store a new silence (starting now unless `starts_at`); returns it.

    `store` is a `seamwatch.store.Store`. Refused: no or unknown matchers, a value of a closed
    field no finding has, no comment, no author, an end before the start or before now.
    """
    clean = check_matchers(matchers)
    problem = closed_field_problem(clean)
    if problem:
        raise SilenceError(problem)
    if not comment.strip():
        raise SilenceError("say why: a silence needs a comment (everyone it mutes sees it)")
    if not author.strip():
        raise SilenceError("say who is silencing: a silence needs an author (name or e-mail)")
    now = ensure_utc(now)
    starts = ensure_utc(starts_at) if starts_at is not None else now
    ends = ensure_utc(ends_at)
    if ends <= starts:
        raise SilenceError(
            f"the silence must end after it starts (it ends {ends:%Y-%m-%d %H:%M} UTC, "
            f"starts {starts:%Y-%m-%d %H:%M} UTC)"
        )
    if ends <= now:
        raise SilenceError(
            f"the silence would already have ended ({ends:%Y-%m-%d %H:%M} UTC, now is "
            f"{now:%Y-%m-%d %H:%M} UTC)"
        )
    silence = Silence(
        silence_id=uuid.uuid4().hex[:ID_LENGTH],
        matchers=clean,
        starts_at=starts,
        ends_at=ends,
        comment=comment.strip(),
        author=author.strip(),
        created_at=now,
    )
    with store.write() as con:
        con.execute(
            f"INSERT INTO silences ({_COLUMNS}) VALUES (?, CAST(? AS JSON), ?, ?, ?, ?, ?, NULL)",
            [
                silence.silence_id,
                stored_matchers(clean),
                starts,
                ends,
                silence.comment,
                silence.author,
                now,
            ],
        )
    return silence


def list_silences(store: Any, now: datetime, *, include_expired: bool = False) -> list[Silence]:
    """Active and pending silences, newest first; expired ones too when asked."""
    if not store.exists():
        return []
    with store.read() as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM silences"
            " WHERE ? OR (expired_at IS NULL AND ends_at > ?) ORDER BY created_at DESC",
            [include_expired, now],
        ).fetchall()
    return [_silence(row) for row in rows]


def active_silences(store: Any, now: datetime) -> list[Silence]:
    """Silences in force at `now`."""
    return [s for s in list_silences(store, now) if s.active(now)]


def expire_silence(store: Any, silence_id: str, now: datetime) -> Silence:
    """End a silence now (kept for the record, with `expired_at` set); returns it expired.

    Takes the id or a unique prefix of it (an exact id always wins).
    """
    wanted = silence_id.strip()
    if not wanted:
        raise SilenceError("which silence? give its id (see `seamwatch silence list`)")
    now = ensure_utc(now)
    with store.write() as con:
        rows = con.execute(
            f"SELECT {_COLUMNS} FROM silences WHERE starts_with(silence_id, ?)"
            " ORDER BY silence_id = ? DESC",
            [wanted, wanted],
        ).fetchall()
        if not rows:
            raise SilenceError(
                f"no silence with id {wanted!r} (see `seamwatch silence list --all`)"
            )
        if len(rows) > 1 and rows[0][0] != wanted:
            raise SilenceError(f"{wanted!r} matches {len(rows)} silences; give more of the id")
        silence = _silence(rows[0])
        if silence.state(now) == "expired":
            raise SilenceError(f"silence {silence.silence_id} has already expired")
        con.execute(
            "UPDATE silences SET expired_at = ? WHERE silence_id = ?", [now, silence.silence_id]
        )
    return replace(silence, expired_at=now)


def _silence(row: Sequence[Any]) -> Silence:
    """A row of `_COLUMNS` as a Silence (matchers in either stored form)."""
    return Silence(
        str(row[0]),
        matchers_of(row[1]),
        ensure_utc(row[2]),
        ensure_utc(row[3]),
        str(row[4]),
        str(row[5]),
        ensure_utc(row[6]),
        ensure_utc(row[7]) if row[7] is not None else None,
    )
