"""Announcements through the same outbox and channels as alerts: the weekly review's summary.

The composition root (CLI, daemon) builds the review with `reports` and hands its summary here as
a `seamwatch.stage.Announcement` (plain lines and one link); the channel renders it in its own syntax (one renderer per
service for alerts and posts alike), the outbox records it (event `report`, so "what did
Seamwatch send" has one answer in `v_notifications`), and delivery sends it with retries. A post
gets its retries within the call and is never re-sent by later notify cycles.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import SecretStr

from alerts import CHANNEL_KINDS, build_channel
from alerts.base import Channel, Payload
from alerts.delivery import Delivery, MessageReport
from alerts.message import inert_post
from alerts.outbox import Outbox, OutboxMessage, OutboxRow
from alerts.settings import load_alert_settings
from seamwatch.config import Settings
from seamwatch.errors import ConfigError, SeamwatchError
from seamwatch.stage import Announcement
from seamwatch.store import Store

__all__ = ["Announcement", "PostError", "enqueue_post", "post_channel", "render_post", "send_post"]


class PostError(SeamwatchError):
    """A post could not be delivered; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def post_channel(
    settings: Settings, name: str, url: SecretStr | None, kind: str, *, key: str
) -> Channel:
    """Where a post goes: an ad-hoc channel of `kind` at `url` (a `[reports] post_url`), else
    the `[alerts.channels]` channel called `name`. Errors name `key` in the config file."""
    if url is not None:
        block = {"kind": kind, "url": url.get_secret_value()}
        channel = build_channel(name, block, settings, tuple(key.split(".")))
    else:
        alerts = load_alert_settings(settings)
        if name not in alerts.channels:
            known = ", ".join(sorted(alerts.channels)) or "none configured"
            raise ConfigError(
                f"no post URL and no channel named {name!r} in [alerts.channels] (known: {known})",
                path=settings.config_path,
                key=key,
            )
        channel = build_channel(name, alerts.channels[name], settings, ("alerts", "channels", name))
    if not channel.accepts_posts:
        posting = sorted(k for k in CHANNEL_KINDS if k != channel.kind)
        raise ConfigError(
            f"a {channel.kind} channel carries alerts only, not posts "
            f"(post to one of: {', '.join(posting)})",
            path=settings.config_path,
            key=key,
        )
    return channel


def render_post(channel: Channel, post: Announcement, message_id: str) -> Payload:
    """A post in its channel's syntax, mentions defanged first (the lines quote inventory text)."""
    return channel.render_post(inert_post(post), message_id)


def enqueue_post(
    outbox: Outbox, channel: Channel, post: Announcement, now: datetime
) -> OutboxMessage:
    """Render a post for its channel and claim it in the outbox (event `report`, dedup key
    `<post.key>:<channel>:<now>`, so posting the same report again later is a new post)."""
    message_id = uuid.uuid4().hex
    payload = render_post(channel, post, message_id)
    message = OutboxMessage(
        message_id,
        channel.name,
        channel.kind,
        post.event,
        post.key,
        payload.title,
        0,
        payload.body,
        now,
        rows=(OutboxRow(f"{post.key}:{channel.name}:{now.isoformat()}", post.event),),
        once=True,
    )
    outbox.claim(message)
    return message


def send_post(
    settings: Settings,
    channel: Channel,
    post: Announcement,
    now: datetime,
    *,
    store: Store | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> MessageReport:
    """Enqueue a post and deliver it now (with `[alerts]` retries); raise PostError when it
    was not delivered, saying why in a sentence (the URL is a secret and never shown)."""
    alerts = load_alert_settings(settings)
    store = store or Store.from_settings(settings)
    outbox = Outbox(store, instance=f"post:{uuid.uuid4().hex[:8]}", lease=timedelta(minutes=10))
    delivery = Delivery({channel.name: channel}, outbox, alerts, sleep=sleep)
    message = enqueue_post(outbox, channel, post, now)
    report = delivery.deliver(message, now, policy=delivery.policy())
    if report.status == "sent":
        return report
    last = f"HTTP {report.answer}" if report.answer is not None else report.error
    if report.permanent:
        raise PostError(
            f"the chat webhook refused the message ({last}); check the URL", permanent=True
        )
    raise PostError(f"the chat webhook did not accept the message: {last}")
