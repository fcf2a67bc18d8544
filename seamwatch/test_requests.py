"""Test-message requests: the dashboard asks, the daemon's notify job sends and answers.

The app may not import the alerts stage and holds no channel secrets; both sides share this
table instead (`alert_test_requests`, migration 045). One home for its SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from seamwatch.errors import SeamwatchError
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc

STATUSES = ("pending", "sent", "undelivered", "failed", "unknown channel")


@dataclass(frozen=True)
class TestRequest:
    """One pending request: which channel, who asked, when."""

    request_id: str
    channel: str
    requested_by: str
    requested_at: datetime


def request_test(store: Store, channel: str, requested_by: str, now: datetime) -> str:
    """Record a request for a test message to `channel`; returns its id."""
    if not channel.strip():
        raise SeamwatchError("choose a channel to send the test message to")
    if not requested_by.strip():
        raise SeamwatchError("say who asks for the test message (name or e-mail)")
    request_id = uuid.uuid4().hex
    with store.write() as con:
        con.execute(
            "INSERT INTO alert_test_requests (request_id, channel, requested_by, requested_at,"
            " status) VALUES (?, ?, ?, ?, 'pending')",
            [request_id, channel.strip(), requested_by.strip(), ensure_utc(now)],
        )
    return request_id


def pending_tests(store: Store) -> list[TestRequest]:
    """Requests not answered yet, oldest first."""
    if not store.exists():
        return []
    with store.read() as con:
        rows = con.execute(
            "SELECT request_id, channel, requested_by, requested_at FROM alert_test_requests"
            " WHERE status = 'pending' ORDER BY requested_at"
        ).fetchall()
    return [TestRequest(*row) for row in rows]


def answer_test(
    store: Store,
    request_id: str,
    status: str,
    now: datetime,
    *,
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    """Write the outcome back on a request (only a pending one: answered once)."""
    if status not in STATUSES or status == "pending":
        raise ValueError(f"not an answer: {status!r}")
    with store.write() as con:
        con.execute(
            "UPDATE alert_test_requests SET status = ?, answered_at = ?, message_id = ?,"
            " error = ? WHERE request_id = ? AND status = 'pending'",
            [status, ensure_utc(now), message_id, error, request_id],
        )
