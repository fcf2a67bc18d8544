"""Silences (ad hoc, in the store) and recurring maintenance windows (in config).

Both mute matching findings; muted findings are still recorded, with notification status
`silenced` and what muted them, so nothing disappears without a trace.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alerts.message import Finding
from alerts.settings import MATCH_FIELDS, MaintenanceWindow
from seamwatch import mutes
from seamwatch.errors import SeamwatchError
from seamwatch.matching import matches, normalise
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc

SILENCE_FIELDS = (*MATCH_FIELDS, "integration", "team", "tag")


class SilenceError(SeamwatchError):
    """A silence cannot be added or expired as asked."""


@dataclass(frozen=True)
class Silence:
    """A time-boxed mute: every matcher must match."""

    silence_id: str
    matchers: dict[str, list[str]]
    starts_at: datetime
    ends_at: datetime
    comment: str
    author: str
    created_at: datetime
    expired_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.expired_at is None and self.starts_at <= now < self.ends_at

    def state(self, now: datetime) -> str:
        if self.expired_at is not None or now >= self.ends_at:
            return "expired"
        return "active" if now >= self.starts_at else "pending"


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
        if field not in SILENCE_FIELDS:
            raise SilenceError(
                f"matcher {pair!r}: unknown field {field!r} (known: {', '.join(MATCH_FIELDS)})"
            )
        out.setdefault(field, []).append(value)
    if not out:
        raise SilenceError("a silence needs at least one matcher (--match field=value)")
    return normalise(out)


def add_silence(
    store: Store,
    matchers: Mapping[str, Sequence[str]],
    *,
    starts_at: datetime,
    ends_at: datetime,
    comment: str,
    author: str,
    now: datetime,
) -> Silence:
    """Store a new silence and return it."""
    if not comment.strip():
        raise SilenceError("a silence needs a comment saying why (--comment)")
    if not author.strip():
        raise SilenceError("a silence needs an author (--author)")
    starts_at, ends_at = ensure_utc(starts_at), ensure_utc(ends_at)
    if ends_at <= starts_at:
        raise SilenceError(
            f"the silence ends ({ends_at:%Y-%m-%d %H:%M} UTC) before it starts ({starts_at:%Y-%m-%d %H:%M} UTC)"
        )
    silence = Silence(
        silence_id=uuid.uuid4().hex[:12],
        matchers=normalise(dict(matchers)),
        starts_at=starts_at,
        ends_at=ends_at,
        comment=comment.strip(),
        author=author.strip(),
        created_at=now,
    )
    with store.write() as con:
        con.execute(
            "INSERT INTO silences (silence_id, matchers, starts_at, ends_at, comment, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                silence.silence_id,
                json.dumps(silence.matchers),
                starts_at,
                ends_at,
                silence.comment,
                silence.author,
                now,
            ],
        )
    return silence


def list_silences(store: Store, now: datetime, *, include_expired: bool = False) -> list[Silence]:
    """Silences, newest first; expired ones only when asked."""
    if not store.exists():
        return []
    with store.read() as con:
        rows = con.execute(
            "SELECT silence_id, matchers, starts_at, ends_at, comment, author, created_at, expired_at"
            " FROM silences WHERE ? OR (expired_at IS NULL AND ends_at > ?) ORDER BY created_at DESC",
            [include_expired, now],
        ).fetchall()
    return [_silence(row) for row in rows]


def active_silences(store: Store, now: datetime) -> list[Silence]:
    """Silences in force at `now`."""
    return [s for s in list_silences(store, now) if s.active(now)]


def expire_silence(store: Store, silence_id: str, now: datetime) -> Silence:
    """End a silence now; accepts a unique prefix of its id."""
    with store.write() as con:
        rows = con.execute(
            "SELECT silence_id, matchers, starts_at, ends_at, comment, author, created_at, expired_at"
            " FROM silences WHERE starts_with(silence_id, ?)",
            [silence_id],
        ).fetchall()
        if not rows:
            raise SilenceError(
                f"no silence with id {silence_id!r} (see `seamwatch silence list --all`)"
            )
        if len(rows) > 1:
            raise SilenceError(f"{silence_id!r} matches {len(rows)} silences; give more of the id")
        silence = _silence(rows[0])
        if silence.state(now) == "expired":
            raise SilenceError(f"silence {silence.silence_id} has already expired")
        con.execute(
            "UPDATE silences SET expired_at = ? WHERE silence_id = ?", [now, silence.silence_id]
        )
    return Silence(**{**silence.__dict__, "expired_at": now})


def _silence(row: tuple) -> Silence:
    raw = json.loads(row[1]) if isinstance(row[1], str) else row[1]
    return Silence(row[0], normalise(raw or {}), row[2], row[3], row[4], row[5], row[6], row[7])


def window_start(window: MaintenanceWindow, now: datetime) -> datetime | None:
    """The start of the occurrence of `window` that covers `now`, or None when outside it."""
    return mutes.window_start(window.cron, window.timezone, window.duration, now)


class Muter:
    """Decides whether a finding is muted at `now`, and by what (for the record)."""

    def __init__(
        self, silences: Sequence[Silence], windows: Sequence[MaintenanceWindow], now: datetime
    ) -> None:
        self.silences = [s for s in silences if s.active(now)]
        self.windows: list[tuple[MaintenanceWindow, datetime]] = []
        for window in windows:
            start = window_start(window, now)
            if start is not None:
                self.windows.append((window, start))

    def muted_by(self, finding: Finding) -> str | None:
        """'silence:<id>' or 'maintenance:<name>@<start>' for the first mute that matches."""
        for silence in self.silences:
            if matches(finding, silence.matchers):
                return f"silence:{silence.silence_id}"
        for window, start in self.windows:
            if matches(finding, window.match.as_matchers()):
                return f"maintenance:{window.name}@{start:%Y-%m-%dT%H:%MZ}"
        return None
