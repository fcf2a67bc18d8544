"""ISO weeks in a configured time zone: a report's week runs Monday 00:00 to Monday 00:00 local."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from seamwatch.errors import SeamwatchError

_LABEL = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


class WeekError(SeamwatchError):
    """A week given on the command line is not an ISO week."""


@dataclass(frozen=True)
class Week:
    """One ISO week in one time zone; `start`/`end` are UTC instants (end exclusive)."""

    year: int
    number: int
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> Week:
        """`2026-W47` (or `2026W47`, `2026-w47`)."""
        match = _LABEL.match(text.strip())
        if not match:
            raise WeekError(f"--week {text!r} is not an ISO week (write e.g. 2026-W47)")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise WeekError(f"--week {text!r}: {year} has no ISO week {number}") from None
        return cls(year, number, zone)

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> Week:
        """The week a moment falls in, counted in local time."""
        year, number, _ = moment.astimezone(zone).date().isocalendar()
        return cls(year, number, zone)

    @classmethod
    def last_complete(cls, now: datetime, zone: ZoneInfo) -> Week:
        """The newest week that has fully ended at `now` (local time)."""
        return cls.containing(now, zone).previous()

    @property
    def label(self) -> str:
        """`2026-W47`."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        """The local date the week starts on."""
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        """The local date of the week's last day."""
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 local, as UTC."""
        return datetime.combine(self.monday, time(0), tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 local, as UTC (exclusive); 167 or 169 hours across DST."""
        return self.next().start

    @property
    def hours(self) -> float:
        """Length of the week in hours (not always 168: daylight-saving changes)."""
        return (self.end - self.start).total_seconds() / 3600

    def previous(self) -> Week:
        """The week before."""
        year, number, _ = (self.monday - timedelta(days=7)).isocalendar()
        return Week(year, number, self.zone)

    def next(self) -> Week:
        """The week after."""
        year, number, _ = (self.monday + timedelta(days=7)).isocalendar()
        return Week(year, number, self.zone)

    def span(self) -> str:
        """Human dates: `16–22 Nov 2026`, or `29 Dec 2025 – 4 Jan 2026` across a year."""
        a, b = self.monday, self.sunday
        if a.year != b.year:
            return f"{a.day} {a:%b %Y} – {b.day} {b:%b %Y}"
        if a.month != b.month:
            return f"{a.day} {a:%b} – {b.day} {b:%b %Y}"
        return f"{a.day}–{b.day} {b:%b %Y}"
