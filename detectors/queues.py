"""Queue states judged the way Burrow judges Kafka consumers: over a sliding window, no thresholds.

A backlog (messages waiting, or a consumer group's lag) is read together with what consumes it
(the consume rate) and who (the number of consumers), over the last observations:

- OK: the backlog touched zero in the window, or it is going down;
- WARNING: consumption goes on, but the backlog rose at (nearly) every step: falling behind;
- STALLED: a consumer is attached (or none is known), the backlog stayed above zero and
  nothing was consumed in the whole window;
- STOPPED: no consumer, and the backlog is not going down;
- REWIND: the backlog jumped up in one step, far beyond its other steps (offsets moved back);
- RESET: the backlog fell to near zero in one step, more than consumption explains (offsets
  moved forward: messages skipped).

The same vocabulary names the DLQ states of `dlq_growth`: a DLQ that grows with nobody
draining it is STOPPED, one that holds messages and never drains is STALLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["QueueState", "Verdict", "judge"]


class QueueState(StrEnum):
    """What a queue's consumer is doing, in Burrow's words."""

    OK = "OK"
    WARNING = "WARNING"
    STALLED = "STALLED"
    STOPPED = "STOPPED"
    REWIND = "REWIND"
    RESET = "RESET"


@dataclass(frozen=True)
class Verdict:
    """A state, the window position where it began (`since`) and the figures behind it."""

    state: QueueState
    since: int
    first: float
    last: float
    consumed: float | None
    consumers: float | None
    jump: float | None = None


JUMP_SHARE = 0.5  # a jump is at least half the backlog after it
JUMP_OVER_STEPS = 5.0  # and five times the largest other step


def judge(
    backlog: np.ndarray,
    consumed: np.ndarray | None,
    consumers: np.ndarray | None,
    *,
    step_seconds: float,
    min_points: int = 4,
) -> Verdict | None:
    """The state of one queue over a window of equally spaced observations (NaN: missing).

    `consumed` is a rate per second, `consumers` a count; either may be None (not collected).
    None when the window holds fewer than `min_points` backlog observations.
    """
    have = np.flatnonzero(np.isfinite(backlog))
    if have.size < min_points:
        return None
    b = backlog[have]
    c = _observed(consumed, have)
    n = _observed(consumers, have)
    first, last = float(b[0]), float(b[-1])
    consumed_now = float(np.nanmean(c)) if c is not None else None
    consumers_now = float(n[np.isfinite(n)][-1]) if n is not None else None

    def verdict(state: QueueState, since: int, jump: float | None = None) -> Verdict:
        return Verdict(state, int(have[since]), first, last, consumed_now, consumers_now, jump)

    steps = np.diff(b)
    jump = _jump(steps, b, c, step_seconds)
    if jump is not None:
        index, size = jump
        return verdict(QueueState.REWIND if size > 0 else QueueState.RESET, index + 1, size)
    if np.min(b) <= 0 or last < first:
        return verdict(QueueState.OK, 0)
    if consumers_now is not None and consumers_now <= 0:
        return verdict(QueueState.STOPPED, _trailing(n <= 0) if n is not None else 0)
    if c is not None and np.all(c <= 0):
        return verdict(QueueState.STALLED, 0)
    rises = int(np.sum(steps > 0))
    if last > first and rises >= max(steps.size - 1, 1) and np.all(steps >= 0):
        return verdict(QueueState.WARNING, 0)
    return verdict(QueueState.OK, 0)


def _observed(values: np.ndarray | None, have: np.ndarray) -> np.ndarray | None:
    """The values at the backlog's observations, None when none of them is known."""
    if values is None:
        return None
    picked = values[have]
    if not np.isfinite(picked).any():
        return None
    return picked


def _trailing(flags: np.ndarray) -> int:
    """Index where the trailing run of True (ignoring NaN-derived False at the end) starts."""
    index = flags.size
    while index > 0 and flags[index - 1]:
        index -= 1
    return min(index, flags.size - 1)


def _jump(
    steps: np.ndarray, b: np.ndarray, consumed: np.ndarray | None, step_seconds: float
) -> tuple[int, float] | None:
    """(step index, size) of a single step far beyond all others, or None."""
    if steps.size < 2:
        return None
    index = int(np.argmax(np.abs(steps)))
    size = float(steps[index])
    others = np.delete(np.abs(steps), index)
    if abs(size) < JUMP_OVER_STEPS * max(float(others.max()), 1.0):
        return None
    if size > 0:
        return (index, size) if size >= JUMP_SHARE * b[index + 1] else None
    before, after = float(b[index]), float(b[index + 1])
    explained = (
        float(np.nanmax(consumed)) * step_seconds * 2
        if consumed is not None and np.isfinite(consumed).any()
        else None
    )
    if explained is None or after > 0.1 * before or -size <= explained:
        return None
    return index, size
