"""UTC inside: tz-aware datetimes, interval alignment and parsing of user-given times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
