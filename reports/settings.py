"""The `[reports]` config section: where reports go, when they are written, where they are posted."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, StrictBool, field_validator

from seamwatch.config import Settings, validate_section
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import TimeZoneName

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

PostFormat = Literal["slack", "mattermost", "google_chat", "discord", "teams", "webhook"]
"""The chat service `post_url` belongs to (a channel kind of the alerts stage, which posts it)."""

OLD_FORMATS = {"google-chat": "google_chat", "json": "webhook"}  # earlier spellings, still read

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ReportSettings(StrictModel):
    """How the weekly review is written, scheduled and announced."""

    dir: Path | None = Field(default=None, description="default: data/reports next to the store")
    timezone: TimeZoneName = "UTC"
    schedule_day: Weekday = "mon"
    schedule_time: str = "08:00"
    schedule: StrictBool = True
    per_team: StrictBool = Field(
        default=False, description="the scheduled run also writes one report per owner team"
    )
    top_n: int = Field(default=5, ge=1, le=50)
    chat_route: str | None = None
    post_url: SecretStr | None = None
    post_format: PostFormat = "slack"
    link_base: str | None = Field(
        default=None, description="URL the reports dir is served under; default: a file:// link"
    )

    @field_validator("schedule_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _TIME.match(value.strip()):
            raise ValueError(f"{value!r} is not a time of day (write HH:MM, e.g. 08:00)")
        return value.strip()

    @field_validator("post_format", mode="before")
    @classmethod
    def _old_spelling(cls, value: object) -> object:
        return OLD_FORMATS.get(value, value) if isinstance(value, str) else value

    @field_validator("chat_route", "link_base")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone weeks and the schedule are counted in."""
        return ZoneInfo(self.timezone)

    @property
    def at(self) -> time:
        """The configured time of day of the scheduled run."""
        hour, minute = self.schedule_time.split(":")
        return time(int(hour), int(minute))

    def out_dir(self, settings: Settings) -> Path:
        """The reports directory: configured (relative to the config file) or next to the store."""
        if self.dir is not None:
            return settings.resolve(self.dir)
        return settings.store_path.parent / "reports"


def report_settings(settings: Settings) -> ReportSettings:
    """Validate `[reports]`; errors name the config file, the key and its line."""
    return validate_section(ReportSettings, settings, "reports")
