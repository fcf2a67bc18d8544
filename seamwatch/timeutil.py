"""UTC inside: tz-aware datetimes, interval alignment and parsing of user-given times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(UTC)


def ensure_utc(ts: datetime) -> datetime:
    """Treat naive datetimes as UTC; convert aware ones to UTC."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def align(ts: datetime, interval: timedelta) -> datetime:
    """Floor ts to a multiple of interval since the epoch, so replayed cycles write the same keys."""
    step = int(interval.total_seconds())
    if step <= 0:
        return ensure_utc(ts)
    epoch = int(ensure_utc(ts).timestamp())
    return datetime.fromtimestamp(epoch - epoch % step, UTC)


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 time ("2026-11-20T08:00:00Z", "2026-11-20"); naive means UTC."""
    value = text.strip()
    if value.lower() == "now":
        return utcnow()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a timestamp (write ISO 8601, e.g. 2026-11-20T08:00:00Z)"
        ) from None


_UTC_STAMP = re.compile(r"\b(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC\b")


def localize_times(text: str, zone: tzinfo | None) -> str:
    """Text with every "YYYY-MM-DD HH:MM UTC" in it shown as wall time of `zone`.

    Findings are stored with their times in UTC (a summary says when a step happened); they
    are rendered in the reader's zone when shown (page, chat, review, CLI), not frozen at
    detection. UTC, or no zone, leaves the text as it is.
    """
    if not text or zone is None or _is_utc(zone):
        return text

    def local(match: re.Match[str]) -> str:
        stamp = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}:00+00:00")
        return stamp.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    return _UTC_STAMP.sub(local, text)


def _is_utc(zone: tzinfo) -> bool:
    probe = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    return all(t.astimezone(zone).utcoffset() == timedelta(0) for t in probe)


def zone_named(name: str) -> ZoneInfo:
    """The time zone people read times in (`[app] timezone`); UTC when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
