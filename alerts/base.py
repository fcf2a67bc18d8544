"""The small base every channel kind builds on: render a group, send a payload.

`render(group) -> Payload` is pure; `send(payload)` makes one HTTP attempt and raises
`DeliveryError(message, permanent=...)`. Everything else about delivery lives here, once:
timeouts, retries with exponential backoff and jitter, HTTP 429 and Retry-After, a per-channel
rate limit, and which answers are permanent (retrying never helps) or transient.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr

from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.secrets import install_log_redaction, redact, reveal

log = logging.getLogger(__name__)

USER_AGENT = "Seamwatch-Alerts/1"


class DeliveryError(Exception):
    """One delivery attempt failed; `permanent` means retrying the same payload never helps."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(redact(message))
        self.permanent = permanent
        self.retry_after = retry_after


class ChannelOptions(StrictModel):
    """Keys every channel kind accepts; kinds add their own."""

    kind: str
    url: SecretStr
    timeout: Duration = timedelta(seconds=10)
    min_interval: Duration | None = None  # between two messages; None: the kind's documented pace
    send_resolved: bool = True


@dataclass(frozen=True)
class Payload:
    """What one message sends: the JSON body and the message id (the idempotency key)."""

    body: Any
    message_id: str
    title: str = ""

    def json_bytes(self) -> bytes:
        """The body exactly as it goes on the wire (and as a signature is computed over)."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


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
        return self.options.min_interval if self.options.min_interval is not None else self.default_min_interval

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

    # HTTP statuses that say the request itself is wrong or the target is gone.
    permanent_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403, 404, 405, 410, 413, 422})
    ok_statuses: ClassVar[frozenset[int]] = frozenset({200, 201, 202, 204})

    def __init__(self, name: str, options: ChannelOptions) -> None:
        super().__init__(name, options)
        reveal(options.url)  # registered for redaction before anything can log it
        install_log_redaction("httpx", "httpcore", "alerts")

    def target_url(self, payload: Payload) -> str:
        """Where this payload is POSTed (kinds add paths or query parameters)."""
        return reveal(self.options.url)

    def headers(self, payload: Payload, body: bytes) -> dict[str, str]:
        """Request headers; kinds add signatures or idempotency keys."""
        return {"Content-Type": "application/json", "User-Agent": USER_AGENT}

    def send(self, payload: Payload) -> None:
        """One POST; raises DeliveryError classified as permanent or transient."""
        body = payload.json_bytes()
        timeout = self.options.timeout.total_seconds()
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                response = client.post(
                    self.target_url(payload), content=body, headers=self.headers(payload, body)
                )
        except httpx.TimeoutException:
            raise DeliveryError(f"no answer within {timeout:g}s") from None
        except httpx.TransportError as exc:
            raise DeliveryError(f"connection failed: {type(exc).__name__}: {exc}") from None
        self.classify(response)

    def classify(self, response: httpx.Response) -> None:
        """Return for success, raise DeliveryError for anything else."""
        status = response.status_code
        if status in self.ok_statuses:
            return
        detail = response.text.strip().replace("\n", " ")[:200]
        message = f"HTTP {status}" + (f": {detail}" if detail else "")
        if status == 429:
            raise DeliveryError(
                message + " (rate limited)", retry_after=self.retry_after(response)
            )
        if status in self.permanent_statuses:
            raise DeliveryError(message, permanent=True)
        if 300 <= status < 400:
            raise DeliveryError(message + " (redirects are not followed: check the URL)", permanent=True)
        raise DeliveryError(message, retry_after=self.retry_after(response) if status == 503 else None)

    @staticmethod
    def retry_after(response: httpx.Response) -> float | None:
        """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RateLimiter:
    """Keeps a minimum pause between messages to the same channel, across threads of a process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str, interval: timedelta, sleep: Callable[[float], None]) -> None:
        """Sleep until `channel` may send again, then book its next slot."""
        step = interval.total_seconds()
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(channel, now))
            self._next[channel] = slot + step
        if slot > now:
            sleep(slot - now)

    def finished(self, channel: str, interval: timedelta) -> None:
        """A send just ended: the next starts no sooner than `interval` from now (a slow request
        must not let two messages arrive closer together than the service allows)."""
        self.push_back(channel, interval.total_seconds())

    def push_back(self, channel: str, seconds: float) -> None:
        """The service asked us to wait (429): nobody sends to this channel before then."""
        with self._lock:
            self._next[channel] = max(self._next.get(channel, 0.0), self._clock() + seconds)


RATE_LIMITER = RateLimiter()


@dataclass
class RetryPolicy:
    """How hard one delivery tries within a cycle."""

    attempts: int = 3
    backoff: timedelta = timedelta(seconds=1)
    max_backoff: timedelta = timedelta(seconds=30)
    max_retry_after: timedelta = timedelta(minutes=2)
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: DeliveryError) -> float:
        """Seconds before the next attempt: Retry-After if given, else exponential with full jitter."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after.total_seconds())
        cap = min(self.max_backoff.total_seconds(), self.backoff.total_seconds() * 2 ** (attempt - 1))
        return self.rng.uniform(cap / 2, cap)


@dataclass(frozen=True)
class Outcome:
    """What a delivery came to: sent, or the last error and whether it is worth trying later."""

    sent: bool
    attempts: int
    error: str | None = None
    permanent: bool = False


def deliver(
    channel: Channel,
    payload: Payload,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter = RATE_LIMITER,
) -> Outcome:
    """Send with the channel's rate limit and the policy's retries; never raises for delivery."""
    error: DeliveryError | None = None
    for attempt in range(1, policy.attempts + 1):
        limiter.wait(channel.name, channel.min_interval, sleep)
        try:
            channel.send(payload)
            return Outcome(True, attempt)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in a channel must not stop the others; it is recorded
            log.exception("channel %s failed unexpectedly", channel.name)
            error = DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}", permanent=True)
        finally:
            limiter.finished(channel.name, channel.min_interval)
        log.warning(
            "channel %s: attempt %d/%d failed: %s%s",
            channel.name,
            attempt,
            policy.attempts,
            error,
            " (permanent)" if error.permanent else "",
        )
        if error.permanent:
            return Outcome(False, attempt, str(error), permanent=True)
        if error.retry_after is not None:
            limiter.push_back(channel.name, min(error.retry_after, policy.max_retry_after.total_seconds()))
        if attempt < policy.attempts:
            sleep(policy.delay(attempt, error))
    assert error is not None
    return Outcome(False, policy.attempts, str(error))
