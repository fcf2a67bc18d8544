"""The outbox: typed message rows in the store, claimed before sending, leased, finished.

Guarantee (see README, Alerts): every event (a finding's open, its n-th repeat, its resolve, on
one channel; a test message; a report post) has a dedup key; a message is *claimed* by inserting
its rows under those keys in one transaction before anything is sent, so a second process or a
restart can never claim the same event again. After the send the claim is finished (sent,
failed: due again later, or undelivered). A claim left pending by a crash is taken over once its
lease expires and re-sent with the same message id (the idempotency key). The one window that
cannot be closed: a crash after the service accepted the message and before the outbox recorded
it; that message is sent again (receivers that honour the idempotency key, and Alertmanager,
drop the copy).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from alerts.base import Payload
from alerts.plan import Note
from alerts.queries import (
    FINISH_MESSAGE,
    FINISH_NOTIFICATIONS,
    INSERT_MESSAGE,
    INSERT_NOTIFICATION,
    INSERT_SILENCED,
    MARK_CHANNEL,
    NOTES_FOR,
    RECLAIM,
    RECLAIMABLE,
)
from alerts.settings import AlertSettings
from alerts.transport import Outcome
from seamwatch.secrets import redact
from seamwatch.store import Store

log = logging.getLogger(__name__)

__all__ = [
    "Finished",
    "Limits",
    "Outbox",
    "OutboxMessage",
    "OutboxRow",
    "channel_health",
]


@dataclass(frozen=True)
class OutboxRow:
    """One event a message carries (a row of `notifications`)."""

    dedup_key: str
    event: str  # open | repeat | resolve | test | report
    finding_id: str | None = None
    integration_id: str | None = None


@dataclass(frozen=True)
class OutboxMessage:
    """One message as the outbox keeps it: rendered body, where it goes, what it carries."""

    message_id: str
    channel: str
    kind: str
    event: str
    group_key: str
    title: str
    findings: int
    body: Any
    created_at: datetime
    rows: tuple[OutboxRow, ...] = ()
    attempts: int = 0  # made in earlier cycles
    once: bool = False  # test messages and posts: one delivery, never retried in later cycles

    @property
    def payload(self) -> Payload:
        """What the channel sends (the message id is the idempotency key)."""
        return Payload(self.body, self.message_id, self.title)


@dataclass(frozen=True)
class Limits:
    """When a failed message is given up (undelivered) and when it is due again."""

    max_attempts: int = 10
    give_up_after: timedelta = timedelta(hours=1)
    retry_in: timedelta = timedelta(minutes=1)

    @classmethod
    def of(cls, alerts: AlertSettings) -> Limits:
        return cls(
            alerts.max_attempts,
            alerts.give_up_after,
            min(alerts.max_backoff * 2, alerts.interval * 2),
        )


@dataclass(frozen=True)
class Finished:
    """A message's state after a delivery: sent, failed (due again) or undelivered."""

    status: str
    attempts: int  # in all, across cycles
    error: str | None


class Outbox:
    """The `alert_messages` and `notifications` tables as a durable queue of messages."""

    def __init__(self, store: Store, *, instance: str, lease: timedelta) -> None:
        self.store = store
        self.instance = instance
        self.lease = lease

    def notes(self, finding_ids: Sequence[str], con: Any = None) -> dict[str, Note]:
        """What is recorded for these findings' events, keyed by dedup key (on `con`, an open
        connection, when the caller reads more in the same breath)."""
        if not finding_ids:
            return {}
        if con is None:
            with self.store.read() as own:
                return self.notes(finding_ids, own)
        rows = con.execute(NOTES_FOR, [list(finding_ids)]).fetchall()
        return {r[0]: Note(r[0], r[1], r[2], r[3]) for r in rows}

    def claim(self, message: OutboxMessage) -> bool:
        """Insert the message and its rows as pending, unless any of its events is claimed."""
        now = message.created_at
        with self.store.write() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(
                    INSERT_MESSAGE,
                    {
                        "message_id": message.message_id,
                        "channel": message.channel,
                        "kind": message.kind,
                        "event": message.event,
                        "group_key": message.group_key,
                        "title": message.title,
                        "findings": message.findings,
                        "payload": json.dumps(message.body),
                        "created_at": now,
                        "instance": self.instance,
                    },
                )
                con.executemany(
                    INSERT_NOTIFICATION,
                    [
                        _row(row, message.channel, now, message_id=message.message_id)
                        for row in message.rows
                    ],
                )
                con.execute("COMMIT")
            except (duckdb.ConstraintException, duckdb.TransactionException):
                con.execute("ROLLBACK")
                return False
            except Exception:
                con.execute("ROLLBACK")
                raise
        return True

    def record_muted(self, rows: Iterable[tuple[OutboxRow, str, str]], now: datetime) -> int:
        """Record muted events (row, channel, what muted it) once each; returns how many are new."""
        rows = list(rows)
        if not rows:
            return 0
        with self.store.write() as con:
            count = "SELECT count(*) FROM notifications WHERE status = 'silenced'"
            before = con.execute(count).fetchone()[0]  # type: ignore[index]
            con.executemany(
                INSERT_SILENCED,
                [
                    _row(row, channel, now, status="silenced", muted_by=muted_by)
                    for row, channel, muted_by in rows
                ],
            )
            after = con.execute(count).fetchone()[0]  # type: ignore[index]
        return int(after - before)

    def reclaim(self, now: datetime) -> list[OutboxMessage]:
        """Take over claims whose lease expired (a crashed process) and failed messages now
        due; each returned message is claimed by this instance."""
        if not self.store.exists():
            return []
        params = {"stale": now - self.lease, "now": now}
        with self.store.read() as con:
            try:
                ids = [r[0] for r in con.execute(RECLAIMABLE, params).fetchall()]
            except duckdb.CatalogException:
                return []
        out = []
        for message_id in ids:
            with self.store.write() as con:
                row = con.execute(
                    RECLAIM, {**params, "me": self.instance, "id": message_id}
                ).fetchone()
            if row is None:
                continue  # another instance took it
            channel, kind, event, group_key, title, findings, body, spent, created_at = row
            out.append(
                OutboxMessage(
                    message_id,
                    channel,
                    kind,
                    event,
                    group_key,
                    title,
                    int(findings),
                    json.loads(body),
                    created_at,
                    attempts=int(spent or 0),
                )
            )
        return out

    def finish(
        self, message: OutboxMessage, outcome: Outcome, now: datetime, limits: Limits
    ) -> Finished:
        """Record a delivery outcome on the message and its rows; mark the channel's health."""
        error = redact(outcome.error) if outcome.error else None
        with self.store.write() as con:
            con.execute("BEGIN TRANSACTION")
            total = con.execute(
                "SELECT attempts FROM alert_messages WHERE message_id = ?", [message.message_id]
            ).fetchone()
            attempts = (total[0] if total else 0) + outcome.attempts
            if outcome.sent:
                status = "sent"
            elif (
                message.once
                or outcome.permanent
                or attempts >= limits.max_attempts
                or now - message.created_at >= limits.give_up_after
            ):
                status = "undelivered"
            else:
                status = "failed"
            sent_at = now if outcome.sent else None
            con.execute(
                FINISH_MESSAGE,
                {
                    "status": status,
                    "attempts": outcome.attempts,
                    "error": error,
                    "sent_at": sent_at,
                    "next": now + limits.retry_in if status == "failed" else None,
                    "id": message.message_id,
                },
            )
            con.execute(
                FINISH_NOTIFICATIONS,
                {
                    "status": status,
                    "attempts": attempts,
                    "error": error,
                    "sent_at": sent_at,
                    "id": message.message_id,
                },
            )
            if outcome.sent or outcome.permanent:
                con.execute(
                    MARK_CHANNEL,
                    {
                        "channel": message.channel,
                        "failing": not outcome.sent,
                        "since": None if outcome.sent else now,
                        "error": error,
                        "n": 0 if outcome.sent else 1,
                        "now": now,
                    },
                )
            con.execute("COMMIT")
        if status == "undelivered":
            log.error(
                "message to %s undelivered after %d attempt(s): %s",
                message.channel,
                attempts,
                error,
            )
        return Finished(status, attempts, error)


def _row(
    row: OutboxRow,
    channel: str,
    now: datetime,
    *,
    message_id: str | None = None,
    status: str = "pending",
    muted_by: str | None = None,
) -> dict[str, Any]:
    """The parameters of INSERT_NOTIFICATION for one event."""
    return {
        "id": uuid.uuid4().hex,
        "dedup_key": row.dedup_key,
        "finding_id": row.finding_id,
        "integration_id": row.integration_id,
        "channel": channel,
        "event": row.event,
        "status": status,
        "error": f"muted by {muted_by}" if muted_by else None,
        "created_at": now,
        "message_id": message_id,
        "silenced_by": muted_by,
    }


def channel_health(store: Store) -> dict[str, dict[str, Any]]:
    """Per channel: whether it is failing, since when, its last error (empty before any)."""
    if not store.exists():
        return {}
    with store.read() as con:
        try:
            rows = con.execute(
                "SELECT channel, failing, since, last_error, failures FROM channel_health"
            ).fetchall()
        except duckdb.CatalogException:
            return {}
    return {
        r[0]: {"failing": r[1], "since": r[2], "last_error": r[3], "failures": r[4]} for r in rows
    }
