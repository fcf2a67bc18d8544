"""The spine's own config sections: store, inventory, sources (generic part), scheduler, app."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration

MIN_ALERT_HISTORY = timedelta(days=1)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def check_slug(value: str) -> str:
    """Ids and names are stable slugs: lower-case letters, digits, '.', '_' and '-'."""
    if not _SLUG.match(value):
        raise ValueError(
            f"{value!r} is not a slug (lower-case letters, digits, '.', '_', '-'; at most 80 chars)"
        )
    return value


Slug = Annotated[str, AfterValidator(check_slug)]


def check_timezone(value: str) -> str:
    """Time zones are IANA names; a typo is a config error, not a crash at display time."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not a time zone (write an IANA name, e.g. 'Europe/Berlin' or 'UTC')"
        ) from None
    return value


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]

DEFAULT_MEMORY_LIMIT = "2GB"
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def check_memory_limit(value: str) -> str:
    """A DuckDB memory size such as "2GB" or "512MiB"; anything else is a config error."""
    if not _MEMORY.match(value):
        raise ValueError(f"{value!r} is not a memory size (write e.g. '2GB', '512MB' or '4GiB')")
    return value.strip()


class StoreSettings(StrictModel):
    """Where the DuckDB file lives and how long each resolution is kept."""

    path: Path = Path("data/seamwatch.duckdb")
    spool_dir: Path | None = None
    raw_retention: Duration = timedelta(days=42)
    rollup_5m_retention: Duration = timedelta(days=120)
    rollup_1h_retention: Duration = timedelta(days=800)
    # notifications and alert messages of findings resolved (and told) longer ago than this
    alert_history_retention: Duration = timedelta(days=90)
    lock_timeout: Duration = timedelta(seconds=20)
    # what one process's DuckDB may use; past the limit it spills to temp_directory
    memory_limit: Annotated[str, AfterValidator(check_memory_limit)] = DEFAULT_MEMORY_LIMIT
    threads: int | None = Field(default=None, ge=1, le=256)  # None: min(2, cores)
    temp_directory: Path | None = None  # None: DuckDB's <store file>.tmp

    @field_validator("alert_history_retention")
    @classmethod
    def _history_outlasts_an_outage(cls, value: timedelta) -> timedelta:
        if value < MIN_ALERT_HISTORY:
            raise ValueError(
                f"{format_duration(value)} is too short (at least 1d): a resolve still owed "
                "while the notifier was down would be forgotten with its history"
            )
        return value

    @property
    def spool(self) -> Path:
        """The spool directory: next to the store unless configured."""
        return self.spool_dir if self.spool_dir is not None else self.path.parent / "spool"


class InventorySettings(StrictModel):
    """Globs of inventory TOML files, relative to the config file."""

    paths: list[str] = Field(default_factory=lambda: ["data/inventory/*.toml"])
    # Backstage catalog files, globs or URLs read as inventory too (issue 16; seamwatch/backstage.py)
    backstage: list[str] = Field(default_factory=list)


class SourceSettings(BaseModel):
    """The part of a source every kind shares; kind-specific keys are validated by the collector."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: Slug
    kind: str
    interval: Duration = timedelta(seconds=60)
    timeout: Duration = timedelta(seconds=10)
    enabled: StrictBool = True

    @field_validator("interval")
    @classmethod
    def _whole_seconds(cls, value: timedelta) -> timedelta:
        """Cycles are stamped on multiples of the interval since the epoch, so a replayed cycle
        writes the same keys: that needs a whole number of seconds, at least one."""
        seconds = value.total_seconds()
        if seconds < 1:
            raise ValueError("is too short: an interval is at least 1s")
        if seconds != int(seconds):
            raise ValueError("is not a whole number of seconds")
        return value

    def options(self) -> dict[str, Any]:
        """The kind-specific keys of this source block."""
        return dict(self.model_extra or {})


class SchedulerSettings(StrictModel):
    """Housekeeping jobs of `seamwatch run`, and the daemon's own /metrics endpoint."""

    rollup_interval: Duration = timedelta(minutes=5)
    retention_interval: Duration = timedelta(hours=1)
    misfire_grace: Duration = timedelta(seconds=30)
    metrics_port: int | None = Field(default=9464, ge=0, le=65535)
    metrics_address: str = "127.0.0.1"


class AppSettings(StrictModel):
    """The Streamlit dashboard: where it listens and how it links to itself."""

    # loopback unless said otherwise: without `login`, anyone who reaches it reads every table
    address: str = "127.0.0.1"
    port: int = Field(default=8501, ge=1, le=65535)
    base_url: str = "http://localhost:8501"
    timezone: TimeZoneName = "UTC"
    query_timeout: Duration = timedelta(seconds=10)
    query_row_limit: int = Field(default=10_000, ge=1)
    # the Overview reloads itself this often while open
    refresh: Duration = timedelta(seconds=60)
    # sign-in with Streamlit's OIDC login; the provider lives in .streamlit/secrets.toml [auth]
    login: StrictBool = False
    login_provider: str | None = None  # a named provider, [auth.<name>]; None for plain [auth]
    allowed_emails: list[str] = Field(default_factory=list)  # ["*@example.com"]; empty: anyone
    # "edit in your repository" per integration: {path} (its inventory file, relative to this
    # config's folder) and {line}, e.g. "https://git.example.com/inv/-/blob/main/{path}#L{line}"
    repo_url: str | None = None

    @field_validator("repo_url")
    @classmethod
    def _repo_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")) or "{path}" not in value:
            raise ValueError(
                f"{value!r} is not a link template: an http(s) URL with {{path}} (and "
                "optionally {line}), e.g. https://git.example.com/inv/-/blob/main/{path}#L{line}"
            )
        try:
            value.format(path="x", line=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"{value!r}: only {{path}} and {{line}} may be filled in ({exc})"
            ) from None
        return value

    def edit_url(self, origin: str | None, line: int | None, base_dir: Path) -> str | None:
        """The "edit in your repository" link of an inventory file and line, if configured."""
        if not self.repo_url or not origin:
            return None
        path = Path(origin)
        try:
            relative = path.resolve().relative_to(base_dir.resolve()).as_posix()
        except ValueError:
            relative = path.name  # outside the repository: the best guess is its name
        return self.repo_url.format(path=relative, line=line or 1)

    def exposure_warning(self) -> str | None:
        """The sentence to say when the dashboard listens beyond this machine without sign-in."""
        loopback = self.address in ("localhost", "::1") or self.address.startswith("127.")
        if loopback or self.login:
            return None
        return (
            f"the dashboard listens on {self.address or 'every interface'} without sign-in: "
            "anyone who reaches it reads every table and can mute alerts; set [app] login = true "
            'or address = "127.0.0.1" (behind an authenticating proxy)'
        )
