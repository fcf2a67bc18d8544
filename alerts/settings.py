"""The `[alerts]` section: channels, routes, the default route, grouping, delivery, maintenance.

Validated once, at the edge, with `seamwatch.config.validate_section`; each channel's own keys are
validated by its kind's Options model so an error names e.g. `alerts.channels.payments.url`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, StrictBool, field_validator, model_validator

from seamwatch.config import Settings, validate_section
from seamwatch.config.base import StrictModel, line_of, problems_of, raise_all
from seamwatch.config.sections import TimeZoneName
from seamwatch.durations import Duration, Wait
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.severity import Severity

SEVERITIES = tuple(s.value for s in Severity)
GroupField = Literal[
    "owner", "integration", "severity", "tier", "detector", "source_system", "target_system"
]

_ENV_NAME = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def _as_list(value: Any) -> Any:
    """Let users write `severity = "critical"` as well as `severity = ["critical", "warning"]`."""
    if value is None or isinstance(value, list):
        return value
    return [value]


StrList = Annotated[list[str], BeforeValidator(_as_list)]
IntList = Annotated[list[int], BeforeValidator(_as_list)]


class Match(StrictModel):
    """Conditions on a finding; every given key must match (values in a list: any of them).

    Values may use shell wildcards (`crm-*`). `tags` matches when the integration has any of
    them; `system` matches the source or the target system.
    """

    owner: StrList | None = None
    severity: StrList | None = None
    tier: IntList | None = None
    lifecycle: StrList | None = None
    detector: StrList | None = None
    metric: StrList | None = None
    tags: StrList | None = None
    integration_id: StrList | None = Field(default=None, alias="integration")
    source_system: StrList | None = None
    target_system: StrList | None = None
    system: StrList | None = None

    @field_validator("severity")
    @classmethod
    def _known_severity(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            if item not in SEVERITIES:
                raise ValueError(f"{item!r} is not a severity (one of {', '.join(SEVERITIES)})")
        return value

    def as_matchers(self) -> dict[str, list[str]]:
        """The conditions as field -> accepted values (strings), for the shared matcher."""
        out: dict[str, list[str]] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                out[name] = [str(v) for v in value]
        return out


class Route(StrictModel):
    """Findings matching `match` go to `channels`; the first matching route wins unless `continue`."""

    name: str | None = None
    match: Match = Field(default_factory=Match)
    channels: StrList = Field(min_length=1)
    continue_: StrictBool = Field(default=False, alias="continue")
    group_wait: Wait | None = None
    repeat_interval: Duration | None = None
    group_by: list[GroupField] | None = None


class DefaultRoute(StrictModel):
    """Where findings go that no route (and no inventory chat_route) sent anywhere."""

    channels: StrList = Field(default_factory=list)
    group_wait: Wait | None = None
    repeat_interval: Duration | None = None
    group_by: list[GroupField] | None = None


class MaintenanceWindow(StrictModel):
    """A recurring window (a cron expression for its start, and a duration) muting matching findings."""

    name: str = Field(min_length=1)
    cron: str
    duration: Duration
    timezone: TimeZoneName = "UTC"
    match: Match = Field(default_factory=Match)
    comment: str = ""

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a cron expression (minute hour day month weekday, "
                f'e.g. "0 2 * * sun"): {exc}'
            ) from None
        return value


class AlertSettings(StrictModel):
    """The whole `[alerts]` section."""

    enabled: StrictBool = True
    interval: Duration = timedelta(minutes=1)
    group_wait: Wait = timedelta(seconds=30)
    repeat_interval: Duration = timedelta(hours=4)
    group_by: list[GroupField] = Field(default_factory=lambda: ["owner"])
    shared_system_grouping: StrictBool = True
    shared_system_min: int = Field(default=2, ge=2)
    chat_route: Literal["add", "override", "ignore"] = "add"
    attempts_per_cycle: int = Field(default=3, ge=1, le=20)
    max_attempts: int = Field(default=10, ge=1)
    give_up_after: Duration = timedelta(hours=1)
    backoff: Duration = timedelta(seconds=1)
    max_backoff: Duration = timedelta(seconds=30)
    max_retry_after: Duration = timedelta(minutes=2)
    claim_lease: Duration = timedelta(minutes=10)
    channels: dict[str, dict[str, Any]] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    default: DefaultRoute = Field(default_factory=DefaultRoute)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, block in value.items():
            if not _CHANNEL_NAME.match(name):
                raise ValueError(f"{name!r} is not a channel name (letters, digits, '.', '_', '-')")
            if not isinstance(block, dict):
                raise ValueError(f"channel {name!r} must be a table with at least kind and url")
        return value

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> AlertSettings:
        if self.claim_lease <= self.max_backoff:
            raise ValueError("claim_lease must be longer than max_backoff")
        return self

    def effective_lease(self, longest_timeout: timedelta) -> timedelta:
        """The claim lease, never shorter than one cycle's worth of attempts could take."""
        worst = self.attempts_per_cycle * (
            longest_timeout + self.max_backoff + self.max_retry_after
        )
        return max(self.claim_lease, worst)


def load_alert_settings(settings: Settings) -> AlertSettings:
    """Validate `[alerts]` (channels' own keys and cross-references included).

    Raises a ConfigError carrying every problem found (`ConfigProblems` when several).
    """
    alert_settings = validate_section(AlertSettings, settings, "alerts")
    raise_all(_problems(alert_settings, settings))
    return alert_settings


def _problems(alerts: AlertSettings, settings: Settings) -> list[ConfigError]:
    """Each channel's url and own keys, then the routes' channel names: every problem found."""
    from alerts import build_channels

    problems: list[ConfigError] = []
    for name, block in alerts.channels.items():
        bad_url = _url_problem(block.get("url"), ("alerts", "channels", name, "url"), settings)
        if bad_url is not None:
            problems.append(bad_url)
            continue
        try:
            build_channels(alerts.model_copy(update={"channels": {name: block}}), settings)
        except ConfigError as exc:
            problems += problems_of(exc)
    problems += _reference_problems(alerts, set(alerts.channels), settings)
    return problems


def _url_problem(value: Any, loc: tuple[str, ...], settings: Settings) -> ConfigError | None:
    """A channel url must be http(s) once ${VAR}s are filled in; the value is never shown."""
    if not isinstance(value, str):
        return None  # missing or not a string: the channel's Options model says so
    parts = urlsplit(value.strip())
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    path = settings.config_path
    text = path.read_text(encoding="utf-8") if path and path.exists() else ""
    line = line_of(text, loc)
    written = text.splitlines()[line - 1] if line else ""
    source = ", ".join(f"${{{v}}}" for v in _ENV_NAME.findall(written))
    what = "is empty" if not value.strip() else "is not an http(s) URL"
    reason = f"{what} (after ${{VAR}} interpolation"
    reason += f" of {source})" if source else ")"
    if value.strip():
        reason += "; the value is not shown, it may be a secret"
    return ConfigError(reason, path=path, key=".".join(loc), line=line)


def _reference_problems(
    alerts: AlertSettings, known: set[str], settings: Settings
) -> list[ConfigError]:
    names = ", ".join(sorted(known)) or "none configured"
    problems: list[ConfigError] = []
    for index, route in enumerate(alerts.routes):
        for name in route.channels:
            if name not in known:
                problems.append(
                    ConfigError(
                        f"route sends to channel {name!r}, which [alerts.channels] does not define (known: {names})",
                        path=settings.config_path,
                        key=f"alerts.routes[{index}].channels",
                    )
                )
    for name in alerts.default.channels:
        if name not in known:
            problems.append(
                ConfigError(
                    f"default route sends to channel {name!r}, which [alerts.channels] does not define (known: {names})",
                    path=settings.config_path,
                    key="alerts.default.channels",
                )
            )
    return problems


def check_alerts(settings: Settings, inventory: Inventory) -> None:
    """`seamwatch check` hook: the alerts section, and the chat routes of the inventory that
    `check` already loaded (loading it again would read and validate every file twice).

    Raises every problem and every warning at once (a `ConfigProblems` when several)."""
    alerts = validate_section(AlertSettings, settings, "alerts")
    problems = _problems(alerts, settings)
    if alerts.channels and alerts.chat_route != "ignore":
        for integration in inventory:
            route = integration.chat_route
            if route and route not in alerts.channels:
                problems.append(
                    ConfigWarning(
                        f"chat_route {route!r} names no channel in [alerts.channels] "
                        f"(known: {', '.join(sorted(alerts.channels))}); its findings follow the routes instead",
                        path=inventory.origin[integration.id],
                        key=f"{integration.id}.chat_route",
                    )
                )
    raise_all(problems)
