"""Delivery: send a claimed outbox message through its channel with retries, record the outcome.

The retry stage of the pipeline: within one cycle a message gets `attempts_per_cycle` tries
(exponential backoff with jitter, Retry-After honoured up to `max_retry_after`, the channel's
pace kept), never more than `max_attempts` in all; the outbox decides what a failure means
(due again later, or undelivered).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alerts.base import Channel, Payload
from alerts.outbox import Limits, Outbox, OutboxMessage
from alerts.settings import AlertSettings
from alerts.transport import RATE_LIMITER, Outcome, RateLimiter, RetryPolicy
from alerts.transport import deliver as transport_deliver


@dataclass(frozen=True)
class MessageReport:
    """One message as the CLI shows it."""

    channel: str
    event: str
    title: str
    findings: int
    status: str
    attempts: int
    error: str | None = None
    message_id: str | None = None
    answer: int | None = None  # the HTTP status of the last answer, when there was one
    permanent: bool = False  # the last failure was one retrying never helps


def send(
    channel: Channel,
    payload: Payload,
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter = RATE_LIMITER,
) -> Outcome:
    """Send with the channel's pace and the policy's retries; never raises for delivery."""
    return transport_deliver(
        lambda: channel.send(payload),
        policy,
        target=f"channel {channel.name}",
        min_interval=channel.min_interval,
        sleep=sleep,
        limiter=limiter,
    )


class Delivery:
    """Sends outbox messages through the configured channels and finishes them in the outbox."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        outbox: Outbox,
        alerts: AlertSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.channels = channels
        self.outbox = outbox
        self.alerts = alerts
        self.limits = Limits.of(alerts)
        self.sleep = sleep
        self.rng = rng or random.Random()

    def policy(self, spent: int = 0, *, once: bool = False) -> RetryPolicy:
        """Retries for one cycle: `attempts_per_cycle`, never beyond `max_attempts` in all
        (`spent` attempts were made in earlier cycles); a test message gets one attempt."""
        a = self.alerts
        attempts = 1 if once else max(1, min(a.attempts_per_cycle, a.max_attempts - spent))
        return RetryPolicy(attempts, a.backoff, a.max_backoff, a.max_retry_after, self.rng)

    def deliver(
        self, message: OutboxMessage, now: datetime, *, policy: RetryPolicy | None = None
    ) -> MessageReport:
        """Send one claimed message (or refuse it if its channel is gone) and record how it went."""
        channel = self.channels.get(message.channel)
        if channel is None:
            outcome = Outcome(
                False, 0, f"channel {message.channel!r} is no longer configured", permanent=True
            )
        else:
            policy = policy or self.policy(message.attempts, once=message.once)
            outcome = send(channel, message.payload, policy, sleep=self.sleep)
        done = self.outbox.finish(message, outcome, now, self.limits)
        return MessageReport(
            message.channel,
            message.event,
            message.title,
            message.findings,
            done.status,
            done.attempts,
            done.error,
            message.message_id,
            outcome.status,
            outcome.permanent,
        )
