"""The small base every channel kind builds on: render a group, send a payload.

`render(group) -> Payload` is pure; `send(payload)` makes one HTTP attempt and raises
`DeliveryError(message, permanent=...)`. The HTTP mechanics are `alerts.transport`'s: timeouts,
retries with exponential backoff and jitter, HTTP 429 and Retry-After, the per-channel rate
limit, and which answers are permanent (retrying never helps) or transient. Kinds refine `classify` where their service
answers differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from alerts import transport
from alerts.transport import DeliveryError, Outcome, RetryPolicy
from seamwatch.config.base import StrictModel
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
        return transport.json_bytes(self.body)


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
        """A group of findings as this service's message."""
        raise NotImplementedError

    accepts_posts: ClassVar[bool] = True  # False: the kind carries alerts only (Alertmanager)

    def render_post(self, post: Any, message_id: str) -> Payload:  # pragma: no cover
        """An announcement (`alerts.message.Post`) as this service's message."""
        raise NotImplementedError

    def send(self, payload: Payload) -> None:  # pragma: no cover - every kind overrides
        raise NotImplementedError


class HttpChannel(Channel):
    """A channel that POSTs JSON to a secret URL; owns timeouts and answer classification."""

    permanent_statuses: ClassVar[frozenset[int]] = transport.PERMANENT_STATUSES
    ok_statuses: ClassVar[frozenset[int]] = transport.OK_STATUSES

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
        response = transport.post(
            self.target_url(payload),
            body,
            self.headers(payload, body),
            self.options.timeout.total_seconds(),
        )
        self.classify(response)

    def classify(self, response: httpx.Response) -> None:
        """Return for success, raise DeliveryError for anything else."""
        transport.classify(response, ok=self.ok_statuses, permanent=self.permanent_statuses)
