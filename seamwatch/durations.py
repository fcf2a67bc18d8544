"""Durations as users write them ("90s", "5m", "1h30m", "14d", "2w") parsed once, at the edge."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "d": 86400,
    "w": 7 * 86400,
}
# Longer than any retention or interval anyone means (and timedelta's own limit is near).
MAX_SECONDS = 100 * 366 * 86400
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w)")


def parse_duration(value: Any, *, allow_zero: bool = False) -> timedelta:
    """Parse "5m", "1h30m", "14d", a number of seconds or a timedelta; raise ValueError otherwise.

    Zero is refused unless allow_zero: an interval, window or retention of nothing is a typo
    (a source polled in a busy loop), while a wait of nothing ("send at once") is meaningful.
    """
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f'{value!r} is not a duration (write e.g. "30s", "5m", "1h", "7d")')
    elif isinstance(value, int | float):
        result = timedelta(seconds=_bounded(value, float(value)))
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        pos, seconds = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if not text or pos != len(text):
            raise ValueError(
                f'{value!r} is not a duration (write e.g. "30s", "5m", "1h30m", "7d", "2w")'
            )
        result = timedelta(seconds=_bounded(value, seconds))
    else:
        raise ValueError(f"{value!r} is not a duration")
    if result < timedelta(0):
        raise ValueError(f"{value!r} is negative; a duration must be positive")
    if result == timedelta(0) and not allow_zero:
        raise ValueError(f'{value!r} is zero; a duration must be positive (e.g. "30s", "5m")')
    return result


def _bounded(value: Any, seconds: float) -> float:
    """`seconds`, or a ValueError for infinity, NaN or more than a century."""
    if not math.isfinite(seconds):
        raise ValueError(f"{value!r} is not a finite duration")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is too long (at most 100 years, 36600d)")
    return seconds


def parse_wait(value: Any) -> timedelta:
    """Parse a wait that may be zero ("0s": no wait at all), like group_wait or min_interval."""
    return parse_duration(value, allow_zero=True)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta compactly ("1h30m", "14d", "45s") for messages and config output."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""A pydantic field type accepting "5m"-style strings or seconds; more than zero."""

Wait = Annotated[
    timedelta,
    BeforeValidator(parse_wait),
    PlainSerializer(format_duration, return_type=str),
]
"""A Duration that may also be zero: a pause or pace where "0s" means none."""
