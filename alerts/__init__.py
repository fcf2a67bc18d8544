"""Alerts: routing findings to chat channels, one module per chat target, delivery, silences.

Adding a channel kind is one module with a Channel subclass plus one line in CHANNEL_KINDS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts.alertmanager import AlertmanagerChannel
from alerts.base import Channel, ChannelOptions, DeliveryError, HttpChannel, Payload
from alerts.discord import DiscordChannel
from alerts.google_chat import GoogleChatChannel
from alerts.mattermost import MattermostChannel
from alerts.slack import SlackChannel
from alerts.teams import TeamsChannel
from alerts.webhook import WebhookChannel
from seamwatch.config import Settings, validate_block
from seamwatch.errors import ConfigError

if TYPE_CHECKING:
    from alerts.settings import AlertSettings

CHANNEL_KINDS: dict[str, type[Channel]] = {
    "slack": SlackChannel,
    "teams": TeamsChannel,
    "discord": DiscordChannel,
    "google_chat": GoogleChatChannel,
    "mattermost": MattermostChannel,
    "webhook": WebhookChannel,
    "alertmanager": AlertmanagerChannel,
}

__all__ = [
    "CHANNEL_KINDS",
    "Channel",
    "ChannelOptions",
    "DeliveryError",
    "HttpChannel",
    "Payload",
    "build_channels",
]


def build_channels(alerts: AlertSettings, settings: Settings) -> dict[str, Channel]:
    """Validate each `[alerts.channels.NAME]` block with its kind's options and build it."""
    channels: dict[str, Channel] = {}
    for name, block in alerts.channels.items():
        kind = block.get("kind")
        cls = CHANNEL_KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ConfigError(
                f"unknown channel kind {kind!r} (known: {', '.join(sorted(CHANNEL_KINDS))})"
                if kind is not None
                else f"required key is missing (one of {', '.join(sorted(CHANNEL_KINDS))})",
                path=settings.config_path,
                key=f"alerts.channels.{name}.kind",
            )
        options = validate_block(cls.Options, block, settings, ("alerts", "channels", name))
        channels[name] = cls(name, options)
    return channels
