"""What mutes a finding now: an active silence (in the store) or a maintenance window (config).

One home for "is this finding muted, by what, until when", so the alerts stage (which mutes
notifications), the dashboard and `seamwatch detect` (which show what is muted and why) never
disagree. Windows are read from the raw `[alerts.maintenance]` blocks, which `seamwatch check`
and the alerts stage validate; the spine only needs their cron, duration, zone and match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from seamwatch.durations import parse_duration
from seamwatch.findings import Finding, load_findings
from seamwatch.matching import Matchable, matches, normalise
from seamwatch.silences import Silence, active_silences, matchers_of
from seamwatch.timeutil import ensure_utc


def window_start(cron: str, zone: str, duration: timedelta, now: datetime) -> datetime | None:
    """The start (UTC) of the occurrence of a recurring window that covers `now`, else None."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(zone))
    earliest = now - duration + timedelta(microseconds=1)
    start = trigger.get_next_fire_time(None, earliest)
    if start is None or start > now:
        return None
    return ensure_utc(start)


def next_window_start(cron: str, zone: str, now: datetime) -> datetime | None:
    """The next start (UTC) of a recurring window strictly after `now`."""
    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(zone))
    start = trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    return ensure_utc(start) if start is not None else None


@dataclass(frozen=True)
class Window:
    """A recurring maintenance window as the readers of mutes need it."""

    name: str
    cron: str
    duration: timedelta
    timezone: str
    matchers: dict[str, list[str]]
    comment: str = ""

    def current(self, now: datetime) -> tuple[datetime, datetime] | None:
        """(start, end) of the occurrence covering `now`, else None."""
        start = window_start(self.cron, self.timezone, self.duration, now)
        return None if start is None else (start, start + self.duration)

    def next(self, now: datetime) -> tuple[datetime, datetime] | None:
        """(start, end) of the next occurrence starting after `now`."""
        start = next_window_start(self.cron, self.timezone, now)
        return None if start is None else (start, start + self.duration)


def windows_from_config(alerts: Mapping[str, Any]) -> list[Window]:
    """The `[[alerts.maintenance]]` blocks of the raw `[alerts]` section, in config order.

    Raises ValueError naming the block and key when one cannot be read (the alerts stage
    reports the same block through its own validation with file and line).
    """
    out = []
    for index, block in enumerate(alerts.get("maintenance") or []):
        where = f"alerts.maintenance[{index}]"
        try:
            name, cron = str(block["name"]), str(block["cron"])
            duration = parse_duration(block["duration"])
            zone = str(block.get("timezone") or "UTC")
            ZoneInfo(zone)
            CronTrigger.from_crontab(cron, timezone="UTC")
        except KeyError as exc:
            raise ValueError(f"{where}: required key {exc.args[0]!r} is missing") from None
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {exc}") from None
        match = block.get("match") or {}
        out.append(
            Window(
                name, cron, duration, zone, normalise(dict(match)), str(block.get("comment", ""))
            )
        )
    return out


@dataclass(frozen=True)
class Mute:
    """Why a finding is muted: by a silence (who, until, why) or a maintenance window."""

    kind: str  # "silence" | "maintenance"
    ref: str  # the silence id or the window's name
    until: datetime | None
    by: str  # the silence's author, or "maintenance window <name>"
    why: str

    def text(self, fmt: Any = None) -> str:
        """ "silenced by ana until Wed 25 Nov 09:13 — vendor fix" (times through `fmt`)."""
        if self.until is None:
            when = ""
        else:
            when = " until " + (fmt(self.until) if fmt else f"{self.until:%Y-%m-%d %H:%M} UTC")
        head = (
            f"silenced by {self.by or 'someone'}{when}"
            if self.kind == "silence"
            else f"in maintenance window {self.ref}{when}"
        )
        return f"{head} — {self.why}" if self.why else head


@dataclass(frozen=True)
class ActiveSilence:
    """An active silence as rows of `v_silences` give it."""

    silence_id: str
    matchers: dict[str, list[str]]
    ends_at: datetime | None
    author: str
    comment: str


def silences_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[ActiveSilence]:
    """Active silences from rows with silence_id, matchers (JSON), ends_at, author, comment."""
    out = []
    for row in rows:
        matchers = matchers_of(row.get("matchers"))
        if matchers:
            out.append(
                ActiveSilence(
                    str(row.get("silence_id") or ""),
                    matchers,
                    ensure_utc(row["ends_at"]) if row.get("ends_at") is not None else None,
                    str(row.get("author") or ""),
                    str(row.get("comment") or ""),
                )
            )
    return out


class Muter:
    """Judges findings against active silences and windows at `now`."""

    def __init__(
        self, silences: Sequence[ActiveSilence], windows: Sequence[Window], now: datetime
    ) -> None:
        self.silences = list(silences)
        self.windows = [(w, span) for w in windows if (span := w.current(now)) is not None]

    def mute(self, finding: Matchable | Mapping[str, Any]) -> Mute | None:
        """The first silence, else the first window, that matches the finding; None if none.

        A finding may also be given as a row of `v_findings` (read into the spine's `Finding`).
        """
        record = Finding.from_row(finding) if isinstance(finding, Mapping) else finding
        for s in self.silences:
            if matches(record, s.matchers):
                return Mute("silence", s.silence_id, s.ends_at, s.author, s.comment)
        for window, (_, end) in self.windows:
            if matches(record, window.matchers):
                return Mute("maintenance", window.name, end, "maintenance", window.comment)
        return None

    def mutes(self, findings: Iterable[Matchable | Mapping[str, Any]]) -> list[Mute | None]:
        """`mute` of each finding."""
        return [self.mute(f) for f in findings]


def open_mutes(store: Any, alerts: Mapping[str, Any], now: datetime) -> dict[str, Mute]:
    """The open findings of a store that are muted at `now`, by finding id (for the CLI).

    `store` is a `seamwatch.store.Store`; `alerts` the raw `[alerts]` section.
    """
    if not store.exists():
        return {}
    muter = Muter(
        [from_silence(s) for s in active_silences(store, now)], windows_from_config(alerts), now
    )
    found = load_findings(store, status="open")
    return {f.finding_id: mute for f in found if (mute := muter.mute(f)) is not None}


def from_silence(silence: Silence) -> ActiveSilence:
    """A stored silence as the muter needs it."""
    return ActiveSilence(
        silence.silence_id, silence.matchers, silence.ends_at, silence.author, silence.comment
    )
