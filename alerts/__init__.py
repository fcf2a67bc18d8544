"""Alerts: findings routed to chat channels as a pipeline, one module per chat target.

The pipeline, in the order a finding travels (each part testable alone):
`route` (which channels, pure) -> `plan` (due events, silences, grouping, rendering, pure) ->
`outbox` (typed message rows claimed in the store, leased, finished: never sent twice) ->
`delivery` (send each claimed message through its channel with retries, record the outcome).
`engine.Notifier` wires them for one process; `posts` sends the weekly review's summary
through the same outbox and channels.

Adding a channel kind is one module with a Channel subclass plus one line in CHANNEL_KINDS
(a dotted path, imported on first use, so importing `alerts` imports no channel module).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from seamwatch.config import Settings, validate_block
from seamwatch.errors import ConfigError
from seamwatch.lazy import import_object

if TYPE_CHECKING:
    from alerts.base import Channel
    from alerts.settings import AlertSettings

CHANNEL_KINDS: dict[str, str] = {
    "slack": "alerts.slack:SlackChannel",
    "teams": "alerts.teams:TeamsChannel",
    "discord": "alerts.discord:DiscordChannel",
    "google_chat": "alerts.google_chat:GoogleChatChannel",
    "mattermost": "alerts.mattermost:MattermostChannel",
    "webhook": "alerts.webhook:WebhookChannel",
    "alertmanager": "alerts.alertmanager:AlertmanagerChannel",
}

__all__ = ["CHANNEL_KINDS", "build_channel", "build_channels", "channel_class"]


@cache
def channel_class(kind: str) -> type[Channel]:
    """The Channel class of a kind, imported on first use; KeyError for an unknown kind."""
    return import_object(CHANNEL_KINDS[kind])


def build_channel(name: str, block: dict, settings: Settings, loc: tuple[str, ...]) -> Channel:
    """Validate one channel block (`kind`, `url`, the kind's own keys) and build the channel.

    Errors name `loc` (e.g. `alerts.channels.payments.url`) in the config file."""
    kind = block.get("kind")
    if not isinstance(kind, str) or kind not in CHANNEL_KINDS:
        known = ", ".join(sorted(CHANNEL_KINDS))
        raise ConfigError(
            f"unknown channel kind {kind!r} (known: {known})"
            if kind is not None
            else f"required key is missing (one of {known})",
            path=settings.config_path,
            key=".".join((*loc, "kind")),
        )
    cls = channel_class(kind)
    options = validate_block(cls.Options, block, settings, loc)
    return cls(name, options)


def build_channels(alerts: AlertSettings, settings: Settings) -> dict[str, Channel]:
    """Validate each `[alerts.channels.NAME]` block with its kind's options and build it."""
    return {
        name: build_channel(name, block, settings, ("alerts", "channels", name))
        for name, block in alerts.channels.items()
    }
