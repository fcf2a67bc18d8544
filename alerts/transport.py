"""Sending one message over HTTP: the transport every channel kind shares.

One POST (no redirects followed; a timeout or a dropped connection is a transient error), what
the answer means (success, permanent: retrying never helps, or transient, with the wait a 429
or 503 asks for), and the retry loop around it: exponential backoff with full jitter, honouring
Retry-After up to a cap, and a pace per target kept across the threads of a process. Every
channel sends through here, alert messages and the weekly review's post alike.
Error texts are redacted: a secret URL or token never reaches a log line or a stored error.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from seamwatch.errors import SeamwatchError
from seamwatch.secrets import install_root_redaction, redact

__all__ = [
    "OK_STATUSES",
    "PERMANENT_STATUSES",
    "RATE_LIMITER",
    "DeliveryError",
    "Outcome",
    "RateLimiter",
    "RetryPolicy",
    "classify",
    "deliver",
    "json_bytes",
    "post",
    "retry_after",
]

log = logging.getLogger(__name__)

OK_STATUSES = frozenset({200, 201, 202, 204})
# HTTP statuses that say the request itself is wrong or the target is gone.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 413, 422})


class DeliveryError(SeamwatchError):
    """One delivery attempt failed; `permanent` means retrying the same payload never helps.

    `retry_after` is the wait the service asked for (seconds), `status` the HTTP status of its
    answer (None when there was no answer).
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(redact(message))
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


def json_bytes(body: Any) -> bytes:
    """A JSON body exactly as it goes on the wire (and as a signature is computed over)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post(url: str, content: bytes, headers: Mapping[str, str], timeout: float) -> httpx.Response:
    """One POST; a timeout or a failed connection raises a transient DeliveryError."""
    install_root_redaction()  # httpx logs request URLs at INFO
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            return client.post(url, content=content, headers=dict(headers))
    except httpx.TimeoutException:
        raise DeliveryError(f"no answer within {timeout:g}s") from None
    except httpx.TransportError as exc:
        raise DeliveryError(f"connection failed: {type(exc).__name__}: {exc}") from None


def classify(
    response: httpx.Response,
    *,
    ok: frozenset[int] = OK_STATUSES,
    permanent: frozenset[int] = PERMANENT_STATUSES,
) -> None:
    """Return for success, raise DeliveryError (permanent or transient) for anything else."""
    status = response.status_code
    if status in ok:
        return
    detail = response.text.strip().replace("\n", " ")[:200]
    message = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        raise DeliveryError(
            message + " (rate limited)", retry_after=retry_after(response), status=status
        )
    if status in permanent:
        raise DeliveryError(message, permanent=True, status=status)
    if 300 <= status < 400:
        raise DeliveryError(
            message + " (redirects are not followed: check the URL)", permanent=True, status=status
        )
    wait = retry_after(response) if status == 503 else None
    raise DeliveryError(message, retry_after=wait, status=status)


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
    """Keeps a minimum pause between messages to the same target, across threads of a process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, target: str, interval: timedelta, sleep: Callable[[float], None]) -> None:
        """Sleep until `target` may be sent to again, then book its next slot."""
        step = interval.total_seconds()
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(target, now))
            self._next[target] = slot + step
        if slot > now:
            sleep(slot - now)

    def finished(self, target: str, interval: timedelta) -> None:
        """A send just ended: the next starts no sooner than `interval` from now (a slow request
        must not let two messages arrive closer together than the service allows)."""
        self.push_back(target, interval.total_seconds())

    def push_back(self, target: str, seconds: float) -> None:
        """The service asked us to wait (429): nobody sends to this target before then."""
        with self._lock:
            self._next[target] = max(self._next.get(target, 0.0), self._clock() + seconds)


RATE_LIMITER = RateLimiter()


@dataclass
class RetryPolicy:
    """How hard one delivery tries before it reports failure."""

    attempts: int = 3
    backoff: timedelta = timedelta(seconds=1)
    max_backoff: timedelta = timedelta(seconds=30)
    max_retry_after: timedelta = timedelta(minutes=2)
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, error: DeliveryError) -> float:
        """Seconds before the next attempt: Retry-After if given, else exponential with full jitter."""
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after.total_seconds())
        cap = min(
            self.max_backoff.total_seconds(), self.backoff.total_seconds() * 2 ** (attempt - 1)
        )
        return self.rng.uniform(cap / 2, cap)


@dataclass(frozen=True)
class Outcome:
    """What a delivery came to: sent, or the last error and whether it is worth trying later."""

    sent: bool
    attempts: int
    error: str | None = None
    permanent: bool = False
    status: int | None = None  # the HTTP status of the last answer, if there was one


def deliver(
    send: Callable[[], None],
    policy: RetryPolicy,
    *,
    target: str,
    min_interval: timedelta = timedelta(0),
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter | None = RATE_LIMITER,
) -> Outcome:
    """Call `send` (one attempt, raising DeliveryError) with the policy's retries, keeping
    `min_interval` between sends to `target` when a limiter is given; never raises for delivery."""
    error: DeliveryError | None = None
    for attempt in range(1, policy.attempts + 1):
        if limiter is not None:
            limiter.wait(target, min_interval, sleep)
        try:
            send()
            return Outcome(True, attempt)
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in one sender must not stop the others; it is recorded
            log.exception("%s failed unexpectedly", target)
            error = DeliveryError(f"unexpected error: {type(exc).__name__}: {exc}", permanent=True)
        finally:
            if limiter is not None:
                limiter.finished(target, min_interval)
        log.warning(
            "%s: attempt %d/%d failed: %s%s",
            target,
            attempt,
            policy.attempts,
            error,
            " (permanent)" if error.permanent else "",
        )
        if error.permanent:
            return Outcome(False, attempt, str(error), permanent=True, status=error.status)
        if error.retry_after is not None and limiter is not None:
            limiter.push_back(
                target, min(error.retry_after, policy.max_retry_after.total_seconds())
            )
        if attempt < policy.attempts:
            sleep(policy.delay(attempt, error))
    assert error is not None
    return Outcome(False, policy.attempts, str(error), status=error.status)
