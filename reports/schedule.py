"""When the weekly review is written: a cron trigger at a local time, immune to DST shifts."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from reports.settings import ReportSettings


def report_trigger(rs: ReportSettings) -> CronTrigger:
    """Every `schedule_day` at `schedule_time` in `[reports] timezone` (default Monday 08:00)."""
    return CronTrigger(
        day_of_week=rs.schedule_day, hour=rs.at.hour, minute=rs.at.minute, timezone=rs.zone
    )
