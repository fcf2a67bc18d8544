"""Expected schedules of batch and file integrations: when a run is due, in the job's own zone.

`schedule = { cron = "0 2 * * *", timezone = "Europe/Berlin", grace = "30m", max_duration =
"2h" }` in the inventory. The cron expression is read by cronsim (the parser Healthchecks uses),
in the given IANA time zone, so daylight saving time behaves as cron does: on a spring-forward
night 02:30 becomes 03:00, and on a fall-back night a daily 02:30 is due once, not twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import Field, field_validator

from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.timeutil import ensure_utc

SCHEDULED_PATTERNS = ("batch", "file")
"""The patterns (seamwatch.inventory.Pattern values) whose integrations may have a schedule."""


def check_cron(expression: str) -> str:
    """The expression if cron can read it (5 fields); else ValueError saying why."""
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except (CronSimError, ValueError, IndexError, KeyError) as exc:
        raise ValueError(
            f"{expression!r} is not a cron expression ({exc}; write 5 fields, "
            'e.g. "0 2 * * *" for 02:00 every day)'
        ) from None
    return expression


def check_timezone(name: str) -> ZoneInfo:
    """The IANA time zone of that name; else ValueError saying why."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known time zone (write an IANA name such as "
            '"Europe/Berlin" or "UTC")'
        ) from None


class Schedule(StrictModel):
    """When a job is expected to run, how late it may start, and how long it may take.

    grace: how long after the cron time a run may start and still count as on time (for a job
    that only reports its end, this must cover its duration). max_duration: a run going on
    longer is reported while it is still running.
    """

    cron: str = Field(min_length=1)
    timezone: str = "UTC"
    grace: Duration = timedelta(minutes=30)
    max_duration: Duration | None = None

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return check_cron(value.strip())

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        check_timezone(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The zone the cron expression is read in."""
        return ZoneInfo(self.timezone)

    def expected(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Every time a run is due in [lo, hi], in UTC, oldest first; each local time once."""
        lo, hi = ensure_utc(lo), ensure_utc(hi)
        times: list[datetime] = []
        for local in CronSim(self.cron, (lo - timedelta(seconds=1)).astimezone(self.zone)):
            due = local.astimezone(UTC)
            if due > hi:
                break
            if not times or due > times[-1]:
                times.append(due)
        return times

    def due_before(self, ts: datetime) -> datetime | None:
        """The last time a run was due at or before `ts` (None if never, e.g. "30 2 30 2 *")."""
        ts = ensure_utc(ts)
        for local in CronSim(
            self.cron, (ts + timedelta(minutes=1)).astimezone(self.zone), reverse=True
        ):
            due = local.astimezone(UTC)
            if due <= ts:
                return due
        return None

    def due_after(self, ts: datetime) -> datetime | None:
        """The first time a run is due strictly after `ts`."""
        for local in CronSim(self.cron, ensure_utc(ts).astimezone(self.zone)):
            due = local.astimezone(UTC)
            if due > ts:
                return due
        return None

    def describe(self) -> str:
        """The schedule as people read it: `0 2 * * * Europe/Berlin, grace 30m`."""
        from seamwatch.durations import format_duration

        text = f"{self.cron} {self.timezone}, grace {format_duration(self.grace)}"
        if self.max_duration is not None:
            text += f", at most {format_duration(self.max_duration)}"
        return text
