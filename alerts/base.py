"""The small base every channel kind builds on: render a group, send a payload.

`render(group) -> Payload` is pure; `send(payload)` makes one HTTP attempt and raises
`DeliveryError(message, permanent=...)`. The delivery mechanics are the spine's
(`seamwatch.delivery`, shared with the report's chat post): timeouts, retries with exponential
backoff and jitter, HTTP 429 and Retry-After, the per-channel rate limit, and which answers are
permanent (retrying never helps) or transient. Kinds refine `classify` where their service
answers differently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from seamwatch import delivery
from seamwatch.config.base import StrictModel
from seamwatch.delivery import (
    RATE_LIMITER,
    DeliveryError,
    Outcome,
    RateLimiter,
    RetryPolicy,
)
from seamwatch.durations import Duration, Wait
from seamwatch.secrets import install_root_redaction, reveal

__all__ = [
    "Channel",
    "ChannelOptions",
    "DeliveryError",
    "HttpChannel",
    "Outcome",
    "Payload",
    "RetryPolicy",
    "deliver",
]

USER_AGENT = "Seamwatch-Alerts/1"


class ChannelOptions(StrictModel):
    """Keys every channel kind accepts; kinds add their own."""

    kind: str
    url: SecretStr
    timeout: Duration = timedelta(seconds=10)
    min_interval: Wait | None = None  # between two messages; None: the kind's documented pace
    send_resolved: bool = True


@dataclass(frozen=True)
class Payload:
    """What one message sends: the JSON body and the message id (the idempotency key)."""

    body: Any
    message_id: str
    title: str = ""

    def json_bytes(self) -> bytes:
        """The body exactly as it goes on the wire (and as a signature is computed over)."""
        return delivery.json_bytes(self.body)


class Channel:
    """A configured chat target. Subclasses set `Options`, `render` and, for HTTP, `classify`."""

    Options: ClassVar[type[ChannelOptions]] = ChannelOptions
    kind: ClassVar[str] = ""
    default_min_interval: ClassVar[timedelta] = timedelta(0)

    def __init__(self, name: str, options: ChannelOptions) -> None:
        self.name = name
        self.options = options

    @property
    def min_interval(self) -> timedelta:
        """The pause kept between two messages to this channel."""
        return (
            self.options.min_interval
            if self.options.min_interval is not None
            else self.default_min_interval
        )

    def repeat_interval(self, configured: timedelta) -> timedelta:
        """How often an open finding is re-sent; Alertmanager needs it more often than people do."""
        return configured

    def wants(self, event: str) -> bool:
        """Whether this channel receives an event kind (resolves can be switched off)."""
        return event != "resolve" or self.options.send_resolved

    def render(self, group: Any) -> Payload:  # pragma: no cover - every kind overrides
        raise NotImplementedError

    def send(self, payload: Payload) -> None:  # pragma: no cover - every kind overrides
        raise NotImplementedError


class HttpChannel(Channel):
    """A channel that POSTs JSON to a secret URL; owns timeouts and answer classification."""

    permanent_statuses: ClassVar[frozenset[int]] = delivery.PERMANENT_STATUSES
    ok_statuses: ClassVar[frozenset[int]] = delivery.OK_STATUSES

    def __init__(self, name: str, options: ChannelOptions) -> None:
        super().__init__(name, options)
        reveal(options.url)  # registered for redaction before anything can log it
        install_root_redaction()

    def target_url(self, payload: Payload) -> str:
        """Where this payload is POSTed (kinds add paths or query parameters)."""
        return reveal(self.options.url)

    def headers(self, payload: Payload, body: bytes) -> dict[str, str]:
        """Request headers; kinds add signatures or idempotency keys."""
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT}

    def send(self, payload: Payload) -> None:
        """One POST; raises DeliveryError classified as permanent or transient."""
        body = payload.json_bytes()
        response = delivery.post(
            self.target_url(payload),
            body,
            self.headers(payload, body),
            self.options.timeout.total_seconds(),
        )
        self.classify(response)

    def classify(self, response: httpx.Response) -> None:
        """Return for success, raise DeliveryError for anything else."""
        delivery.classify(response, ok=self.ok_statuses, permanent=self.permanent_statuses)


def deliver(
    channel: Channel,
    payload: Payload,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter = RATE_LIMITER,
) -> Outcome:
    """Send with the channel's rate limit and the policy's retries; never raises for delivery."""
    return delivery.deliver(
        lambda: channel.send(payload),
        policy,
        target=f"channel {channel.name}",
        min_interval=channel.min_interval,
        sleep=sleep,
        limiter=limiter,
    )
