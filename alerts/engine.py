"""One notify cycle: decide what is due, claim it in the store, deliver it, record the outcome.

Guarantee (see README, Alerts): every event (a finding's open, its n-th repeat, its resolve, on
one channel) has a dedup key; a message is *claimed* by inserting its rows under those keys in
one transaction before anything is sent, so a second process or a restart can never claim the
same event again. After the send the claim is marked sent. A claim left pending by a crash is
taken over once its lease expires and re-sent with the same message id (the idempotency key).
The one window that cannot be closed: a crash after the service accepted the message and before
the store recorded it; that message is sent again (receivers that honour the idempotency key,
and Alertmanager, drop the copy).
"""

from __future__ import annotations

import json
import logging
import random
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from alerts import build_channels
from alerts.base import Channel, Outcome, Payload, RetryPolicy, deliver
from alerts.message import Finding, Group, Item, dashboard_url, inert
from alerts.queries import (
    CANDIDATE_FINDINGS,
    EXISTING_KEYS,
    FINISH_MESSAGE,
    FINISH_NOTIFICATIONS,
    INSERT_MESSAGE,
    INSERT_NOTIFICATION,
    INSERT_SILENCED,
    NOTIFICATIONS_FOR,
    RECLAIM,
    RECLAIMABLE,
)
from alerts.settings import AlertSettings, GroupField, load_alert_settings
from alerts.silences import Muter, active_silences
from seamwatch.config import Settings
from seamwatch.errors import StoreError
from seamwatch.finding_kind import FindingKind
from seamwatch.matching import matches
from seamwatch.secrets import redact
from seamwatch.store import Store
from seamwatch.test_requests import answer_test, pending_tests
from seamwatch.timeutil import utcnow, zone_named

log = logging.getLogger(__name__)

FINAL = ("sent", "undelivered")


@dataclass(frozen=True)
class RouteParams:
    """What a matching route says about grouping and repeats on one channel."""

    route: str
    group_wait: timedelta
    repeat_interval: timedelta
    group_by: tuple[GroupField, ...]


@dataclass(frozen=True)
class Event:
    """One thing to tell one channel about one finding."""

    finding: Finding
    channel: str
    kind: str  # open | repeat | resolve
    seq: int
    params: RouteParams

    @property
    def dedup_key(self) -> str:
        """Unique per event: finding episode, event kind (+ repeat number), channel."""
        middle = f"repeat:{self.seq}" if self.kind == "repeat" else self.kind
        return f"{self.finding.finding_id}|{middle}|{self.channel}"


@dataclass
class PlannedMessage:
    """A group of events for one channel, rendered, ready to be claimed and sent."""

    channel: str
    group: Group
    events: list[Event]
    payload: Payload


@dataclass
class Muted:
    """An event that a silence or maintenance window muted."""

    event: Event
    muted_by: str


@dataclass
class Plan:
    """What a cycle decided: messages to send, muted events, events still in their group wait."""

    messages: list[PlannedMessage] = field(default_factory=list)
    muted: list[Muted] = field(default_factory=list)
    waiting: int = 0
    unrouted: list[str] = field(default_factory=list)


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


@dataclass
class CycleResult:
    """What one notify cycle did."""

    reports: list[MessageReport] = field(default_factory=list)
    silenced: int = 0
    waiting: int = 0
    unrouted: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.reports if r.status == status)


class Notifier:
    """The alerts stage for one process: config, channels, and the store it records into."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
        instance: str | None = None,
    ) -> None:
        self.settings = settings
        self.zone = zone_named(settings.app.timezone)
        self.alerts: AlertSettings = load_alert_settings(settings)
        self.channels: dict[str, Channel] = build_channels(self.alerts, settings)
        self.store = store or Store.from_settings(settings)
        self.sleep = sleep
        self.rng = random.Random(seed)
        self.instance = instance or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        longest = max(
            (c.options.timeout for c in self.channels.values()), default=timedelta(seconds=10)
        )
        self.lease = self.alerts.effective_lease(longest)

    # -- the cycle -------------------------------------------------------------------------

    def run(self, now: datetime | None = None) -> CycleResult:
        """Retry what is owed, then send what is due; record everything."""
        now = now or utcnow()
        result = CycleResult()
        if not self.alerts.enabled or not self.channels:
            return result
        with self.store.write():
            pass  # migrates an older store before anything reads the alerts tables
        result.reports.extend(self.reconcile(now))
        plan = self.plan(now)
        result.waiting, result.unrouted = plan.waiting, plan.unrouted
        result.silenced = self.record_muted(plan.muted, now)
        for message in plan.messages:
            report = self.send_new(message, now)
            if report is not None:
                result.reports.append(report)
        return result

    def dry_run(self, now: datetime | None = None) -> Plan:
        """What a cycle would send now, rendered; nothing is sent or recorded."""
        return self.plan(now or utcnow())

    # -- routing ---------------------------------------------------------------------------

    def targets(self, finding: Finding) -> dict[str, RouteParams]:
        """Channel -> route parameters for a finding: chat_route, routes in order, default."""
        a = self.alerts
        out: dict[str, RouteParams] = {}

        def params(
            name: str, wait: timedelta | None, repeat: timedelta | None, by: list | None
        ) -> RouteParams:
            return RouteParams(
                name, wait or a.group_wait, repeat or a.repeat_interval, tuple(by or a.group_by)
            )

        if a.chat_route != "ignore" and finding.chat_route in self.channels:
            out[finding.chat_route] = params(f"chat_route:{finding.chat_route}", None, None, None)
            if a.chat_route == "override":
                return out
        for index, route in enumerate(a.routes):
            if matches(finding, route.match.as_matchers()):
                for name in route.channels:
                    out.setdefault(
                        name,
                        params(
                            route.name or f"routes[{index}]",
                            route.group_wait,
                            route.repeat_interval,
                            route.group_by,
                        ),
                    )
                if not route.continue_:
                    break
        if not out:
            d = a.default
            for name in d.channels:
                out[name] = params("default", d.group_wait, d.repeat_interval, d.group_by)
        return out

    # -- planning --------------------------------------------------------------------------

    def load(
        self, now: datetime
    ) -> tuple[list[Finding], dict[tuple[str, str], list[dict[str, Any]]]]:
        """Candidate findings and the notifications already recorded for them."""
        if not self.store.exists():
            return [], {}
        with self.store.read() as con:
            try:
                rows = con.execute(CANDIDATE_FINDINGS).fetchall()
                columns = [d[0] for d in con.description]
                findings = [_finding(dict(zip(columns, row, strict=True))) for row in rows]
                notes: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
                if findings:
                    cur = con.execute(NOTIFICATIONS_FOR, [[f.finding_id for f in findings]])
                    cols = [d[0] for d in cur.description]
                    for row in cur.fetchall():
                        note = dict(zip(cols, row, strict=True))
                        notes[(note["finding_id"], note["channel"])].append(note)
            except duckdb.CatalogException as exc:
                raise StoreError(
                    f"the store has no findings/notifications tables yet ({exc}); run `seamwatch check`"
                ) from None
        return findings, notes

    def plan(self, now: datetime) -> Plan:
        """Every due event, grouped per channel into rendered messages."""
        findings, notes = self.load(now)
        muter = Muter(active_silences(self.store, now), self.alerts.maintenance, now)
        plan = Plan()
        opens: list[Event] = []
        others: list[Event] = []
        for finding in findings:
            for event in self.due_events(finding, notes, now, plan):
                muted_by = muter.muted_by(finding)
                if muted_by:
                    key = f"{event.dedup_key}|silenced|{muted_by}"
                    if not any(
                        n["dedup_key"] == key
                        for n in notes.get((finding.finding_id, event.channel), [])
                    ):
                        plan.muted.append(Muted(event, muted_by))
                    continue
                (opens if event.kind == "open" else others).append(event)
        plan.messages.extend(self.group_opens(opens, now, plan))
        plan.messages.extend(self.group_others(others, now))
        return plan

    def due_events(
        self,
        finding: Finding,
        notes: dict[tuple[str, str], list[dict[str, Any]]],
        now: datetime,
        plan: Plan,
    ) -> Iterable[Event]:
        """The open, repeat or resolve events of one finding that no row has claimed yet."""
        if finding.status == "open":
            targets = self.targets(finding)
            if not targets:
                plan.unrouted.append(finding.finding_id)
            for name, params in targets.items():
                channel = self.channels[name]
                rows = notes.get((finding.finding_id, name), [])
                open_row = _row(rows, f"{finding.finding_id}|open|{name}")
                if open_row is None:
                    yield Event(finding, name, "open", 0, params)
                    continue
                if open_row["status"] not in FINAL:
                    continue  # in flight: reconcile owns it
                start = open_row["sent_at"] or open_row["created_at"]
                every = channel.repeat_interval(params.repeat_interval)
                seq = int((now - start) / every) if every.total_seconds() > 0 else 0
                if seq >= 1 and _row(rows, f"{finding.finding_id}|repeat:{seq}|{name}") is None:
                    yield Event(finding, name, "repeat", seq, params)
        else:
            routed = self.targets(finding)
            for name in self.channels:
                finding_id = finding.finding_id
                rows = notes.get((finding_id, name), [])
                opened = _row(rows, f"{finding_id}|open|{name}")
                if (
                    opened is None
                    or opened["status"] != "sent"
                    or not self.channels[name].wants("resolve")
                ):
                    continue
                if _row(rows, f"{finding_id}|resolve|{name}") is None:
                    params = routed.get(name) or RouteParams(
                        "default",
                        self.alerts.group_wait,
                        self.alerts.repeat_interval,
                        tuple(self.alerts.group_by),
                    )
                    yield Event(finding, name, "resolve", 0, params)

    def group_opens(self, events: list[Event], now: datetime, plan: Plan) -> list[PlannedMessage]:
        """Open events: shared-system groups first, then per route group_by; each after its wait."""
        by_system: dict[str, set[str]] = defaultdict(set)
        owners: dict[str, str] = {}
        if self.alerts.shared_system_grouping:
            for e in events:
                f = e.finding
                owners[f.integration_id] = f.owner or "no owner"
                if f.kind == FindingKind.HOUSEKEEPING:  # a missing owner says nothing of the system
                    continue
                for system in {f.source_system, f.target_system} - {None, ""}:
                    by_system[system].add(f.integration_id)  # type: ignore[index]
        shared = {
            s: ids for s, ids in by_system.items() if len(ids) >= self.alerts.shared_system_min
        }
        names = {e.finding.integration_id: e.finding.name for e in events}

        def system_of(f: Finding) -> str | None:
            if f.kind == FindingKind.HOUSEKEEPING:
                return None
            choices = [s for s in (f.source_system, f.target_system) if s in shared]
            return max(choices, key=lambda s: (len(shared[s]), s)) if choices else None

        buckets: dict[tuple[str, str, str | None], list[Event]] = defaultdict(list)
        for e in events:
            system = system_of(e.finding)
            key = f"system={system}" if system else _group_key(e)
            buckets[(e.channel, key, system)].append(e)
        cluster_start: dict[str, datetime] = {}
        for (_, _, system), members in buckets.items():
            if system:
                first = min(m.finding.first_seen for m in members)
                cluster_start[system] = min(cluster_start.get(system, first), first)
        messages = []
        for (channel, key, system), members in buckets.items():
            wait = max(m.params.group_wait for m in members)
            first = cluster_start[system] if system else min(m.finding.first_seen for m in members)
            if first + wait > now:
                plan.waiting += len(members)
                continue
            also: tuple[tuple[str, str], ...] = ()
            if system:
                here = {m.finding.integration_id for m in members}
                also = tuple(sorted((names[i], owners[i]) for i in shared[system] - here))
            messages.append(
                self.render(channel, "open", key, members, now, system=system, also=also)
            )
        return messages

    def group_others(self, events: list[Event], now: datetime) -> list[PlannedMessage]:
        """Repeats and resolves go out at once, grouped per channel, event and group_by values."""
        buckets: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for e in events:
            buckets[(e.channel, e.kind, _group_key(e))].append(e)
        return [
            self.render(ch, kind, key, members, now) for (ch, kind, key), members in buckets.items()
        ]

    def render(
        self,
        channel: str,
        event: str,
        key: str,
        events: list[Event],
        now: datetime,
        *,
        system: str | None = None,
        also: tuple[tuple[str, str], ...] = (),
    ) -> PlannedMessage:
        """A group rendered by its channel, with a fresh message id."""
        base = self.settings.app.base_url
        events = sorted(
            events, key=lambda e: (-_rank(e.finding.severity), e.finding.name, e.finding.finding_id)
        )
        items = tuple(
            Item(e.finding, event, dashboard_url(base, e.finding.integration_id), self.zone)
            for e in events
        )
        message_id = uuid.UUID(int=self.rng.getrandbits(128), version=4).hex
        group = Group(
            channel, event, key, items, now, system, also, base, {"message_id": message_id}
        )
        return PlannedMessage(channel, group, events, self.channels[channel].render(group))

    # -- claims and delivery -------------------------------------------------------------------

    def record_muted(self, muted: list[Muted], now: datetime) -> int:
        """Record muted events once per event and mute (status silenced)."""
        if not muted:
            return 0
        with self.store.write() as con:
            before = con.execute(
                "SELECT count(*) FROM notifications WHERE status = 'silenced'"
            ).fetchone()[0]  # type: ignore[index]
            for m in muted:
                e = m.event
                con.execute(
                    INSERT_SILENCED,
                    [
                        uuid.uuid4().hex,
                        f"{e.dedup_key}|silenced|{m.muted_by}",
                        e.finding.finding_id,
                        e.finding.integration_id,
                        e.channel,
                        e.kind,
                        "silenced",
                        f"muted by {m.muted_by}",
                        now,
                        None,
                        None,
                        m.muted_by,
                    ],
                )
            after = con.execute(
                "SELECT count(*) FROM notifications WHERE status = 'silenced'"
            ).fetchone()[0]  # type: ignore[index]
        return int(after - before)

    def claim(self, message: PlannedMessage, now: datetime) -> bool:
        """Insert the message and its rows as pending, unless any event is already claimed."""
        keys = [e.dedup_key for e in message.events]
        with self.store.write() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                taken = con.execute(EXISTING_KEYS, [keys]).fetchall()
                if taken:
                    con.execute("ROLLBACK")
                    log.info(
                        "%d event(s) of a message to %s were claimed elsewhere; skipped",
                        len(taken),
                        message.channel,
                    )
                    return False
                group = message.group
                con.execute(
                    INSERT_MESSAGE,
                    [
                        message.payload.message_id,
                        message.channel,
                        self.channels[message.channel].kind,
                        group.event,
                        group.key,
                        message.payload.title,
                        len(message.events),
                        json.dumps(message.payload.body),
                        "pending",
                        now,
                        self.instance,
                        now,
                    ],
                )
                con.executemany(
                    INSERT_NOTIFICATION,
                    [
                        [
                            uuid.uuid4().hex,
                            e.dedup_key,
                            e.finding.finding_id,
                            e.finding.integration_id,
                            e.channel,
                            e.kind,
                            "pending",
                            None,
                            now,
                            None,
                            message.payload.message_id,
                            None,
                        ]
                        for e in message.events
                    ],
                )
                con.execute("COMMIT")
            except duckdb.ConstraintException:
                con.execute("ROLLBACK")
                return False
            except duckdb.TransactionException:
                con.execute("ROLLBACK")
                return False
            except Exception:
                con.execute("ROLLBACK")
                raise
        return True

    def policy(self, spent: int = 0) -> RetryPolicy:
        """Retries for one cycle: `attempts_per_cycle`, but never beyond `max_attempts` in all
        (`spent` attempts were made in earlier cycles)."""
        a = self.alerts
        attempts = max(1, min(a.attempts_per_cycle, a.max_attempts - spent))
        return RetryPolicy(attempts, a.backoff, a.max_backoff, a.max_retry_after, self.rng)

    def send_new(self, message: PlannedMessage, now: datetime) -> MessageReport | None:
        """Claim, deliver and record one planned message."""
        if not self.claim(message, now):
            return None
        channel = self.channels[message.channel]
        outcome = deliver(channel, message.payload, self.policy(), sleep=self.sleep)
        return self.finish(
            message.payload.message_id,
            channel.name,
            message.group.event,
            message.payload.title,
            len(message.events),
            outcome,
            created_at=now,
            now=now,
        )

    def finish(
        self,
        message_id: str,
        channel: str,
        event: str,
        title: str,
        findings: int,
        outcome: Outcome,
        *,
        created_at: datetime,
        now: datetime,
    ) -> MessageReport:
        """Record a delivery outcome on the message and its notification rows."""
        a = self.alerts
        error = redact(outcome.error) if outcome.error else None
        with self.store.write() as con:
            con.execute("BEGIN TRANSACTION")
            total = con.execute(
                "SELECT attempts FROM alert_messages WHERE message_id = ?", [message_id]
            ).fetchone()
            attempts = (total[0] if total else 0) + outcome.attempts
            if outcome.sent:
                status = "sent"
            elif (
                outcome.permanent
                or attempts >= a.max_attempts
                or now - created_at >= a.give_up_after
            ):
                status = "undelivered"
            else:
                status = "failed"
            nxt = now + min(a.max_backoff * 2, a.interval * 2) if status == "failed" else None
            con.execute(
                FINISH_MESSAGE,
                {
                    "status": status,
                    "attempts": outcome.attempts,
                    "error": error,
                    "sent_at": now if outcome.sent else None,
                    "next": nxt,
                    "id": message_id,
                },
            )
            con.execute(
                FINISH_NOTIFICATIONS,
                {
                    "status": status,
                    "attempts": attempts,
                    "error": error,
                    "sent_at": now if outcome.sent else None,
                    "id": message_id,
                },
            )
            if outcome.sent or outcome.permanent:
                _mark_channel(con, channel, failing=not outcome.sent, error=error, now=now)
            con.execute("COMMIT")
        if status == "undelivered":
            log.error("message to %s undelivered after %d attempt(s): %s", channel, attempts, error)
        return MessageReport(channel, event, title, findings, status, attempts, error)

    def reconcile(self, now: datetime) -> list[MessageReport]:
        """Take over claims a crashed process left pending, and retry failed messages now due."""
        if not self.store.exists():
            return []
        stale = now - self.lease
        params = {"stale": stale, "now": now}
        with self.store.read() as con:
            try:
                ids = [r[0] for r in con.execute(RECLAIMABLE, params).fetchall()]
            except duckdb.CatalogException:
                return []
        reports = []
        for message_id in ids:
            with self.store.write() as con:
                row = con.execute(
                    RECLAIM, {**params, "me": self.instance, "id": message_id}
                ).fetchone()
            if row is None:
                continue  # another instance took it
            channel_name, _kind, title, payload_json, spent, created_at = row
            event, findings = self._message_meta(message_id)
            channel = self.channels.get(channel_name)
            if channel is None:
                outcome = Outcome(
                    False, 0, f"channel {channel_name!r} is no longer configured", permanent=True
                )
            else:
                log.info(
                    "re-sending message %s to %s (claimed earlier, not recorded as sent)",
                    message_id,
                    channel_name,
                )
                payload = Payload(json.loads(payload_json), message_id, title)
                outcome = deliver(channel, payload, self.policy(int(spent or 0)), sleep=self.sleep)
            reports.append(
                self.finish(
                    message_id,
                    channel_name,
                    event,
                    title,
                    findings,
                    outcome,
                    created_at=created_at,
                    now=now,
                )
            )
        return reports

    def _message_meta(self, message_id: str) -> tuple[str, int]:
        with self.store.read() as con:
            row = con.execute(
                "SELECT event, findings FROM alert_messages WHERE message_id = ?", [message_id]
            ).fetchone()
        return (row[0], int(row[1])) if row else ("open", 0)

    # -- test messages -------------------------------------------------------------------------

    def test_message(self, name: str, now: datetime | None = None) -> MessageReport:
        """Send a test message to one channel and record it (event 'test')."""
        now = now or utcnow()
        channel = self.channels[name]
        sample = Finding(
            finding_id="test",
            fingerprint="test",
            integration_id="seamwatch-test",
            name="Seamwatch test",
            owner="seamwatch",
            metric="latency_p95_ms",
            detector="test",
            severity="info",
            summary="This is a test message from Seamwatch: the channel works.",
            status="open",
            first_seen=now,
            last_seen=now,
        )
        message_id = uuid.uuid4().hex
        group = Group(
            name,
            "test",
            "test",
            (Item(sample, "test", dashboard_url(self.settings.app.base_url, "seamwatch-test")),),
            now,
            base_url=self.settings.app.base_url,
            extra={"message_id": message_id},
        )
        payload = channel.render(group)
        with self.store.write() as con:
            con.execute(
                INSERT_MESSAGE,
                [
                    message_id,
                    name,
                    channel.kind,
                    "test",
                    "test",
                    payload.title,
                    0,
                    json.dumps(payload.body),
                    "pending",
                    now,
                    self.instance,
                    now,
                ],
            )
            con.execute(
                INSERT_NOTIFICATION,
                [
                    uuid.uuid4().hex,
                    f"test|{message_id}|{name}",
                    None,
                    None,
                    name,
                    "test",
                    "pending",
                    None,
                    now,
                    None,
                    message_id,
                    None,
                ],
            )
        outcome = deliver(channel, payload, RetryPolicy(1, rng=self.rng), sleep=self.sleep)
        report = self.finish(
            message_id, name, "test", payload.title, 0, outcome, created_at=now, now=now
        )
        if report.status == "failed":  # a test is one attempt; do not retry it in later cycles
            with self.store.write() as con:
                con.execute(
                    "UPDATE alert_messages SET status = 'undelivered' WHERE message_id = ?",
                    [message_id],
                )
                con.execute(
                    "UPDATE notifications SET status = 'undelivered' WHERE message_id = ?",
                    [message_id],
                )
            report = MessageReport(**{**report.__dict__, "status": "undelivered"})
        return MessageReport(**{**report.__dict__, "message_id": message_id})

    def answer_test_requests(self, now: datetime | None = None) -> int:
        """Send the test messages the dashboard asked for and write each outcome back on its
        request (`seamwatch.test_requests`); returns how many were answered."""
        answered = 0
        for request in pending_tests(self.store):
            moment = now or utcnow()
            if request.channel not in self.channels:
                known = ", ".join(sorted(self.channels)) or "none configured"
                answer_test(
                    self.store,
                    request.request_id,
                    "unknown channel",
                    moment,
                    error=f"no channel named {request.channel!r} (known: {known})",
                )
            else:
                report = self.test_message(request.channel, moment)
                answer_test(
                    self.store,
                    request.request_id,
                    report.status,
                    moment,
                    message_id=report.message_id,
                    error=report.error,
                )
                log.info(
                    "test message to %s for %s: %s",
                    request.channel,
                    request.requested_by,
                    report.status,
                )
            answered += 1
        return answered


def _row(rows: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for row in rows:
        if row["dedup_key"] == key:
            return row
    return None


def _mark_channel(
    con: duckdb.DuckDBPyConnection, channel: str, *, failing: bool, error: str | None, now: datetime
) -> None:
    """A permanent failure marks the channel failing (since its first); a delivery clears it."""
    con.execute(
        """
        INSERT INTO channel_health VALUES ($channel, $failing, $since, $error, $n, $now)
        ON CONFLICT (channel) DO UPDATE SET
            failing = excluded.failing,
            since = CASE WHEN NOT excluded.failing THEN NULL
                         WHEN channel_health.failing THEN channel_health.since
                         ELSE excluded.since END,
            last_error = CASE WHEN excluded.failing THEN excluded.last_error
                              ELSE channel_health.last_error END,
            failures = CASE WHEN excluded.failing THEN channel_health.failures + 1 ELSE 0 END,
            updated_at = excluded.updated_at
        """,
        {
            "channel": channel,
            "failing": failing,
            "since": now if failing else None,
            "error": error,
            "n": 1 if failing else 0,
            "now": now,
        },
    )


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


def _rank(severity: str) -> int:
    return {"critical": 3, "warning": 2, "info": 1}.get(severity, 0)


def _group_key(event: Event) -> str:
    f = event.finding
    parts = []
    for name in event.params.group_by:
        value = f.integration_id if name == "integration" else getattr(f, name, None)
        parts.append(f"{name}={value if value is not None else '-'}")
    return ",".join(parts) or "all"


def _finding(row: dict[str, Any]) -> Finding:
    """A v_findings row as the alerts see it: made inert for chat before any channel renders."""
    return inert(_raw_finding(row))


def _raw_finding(row: dict[str, Any]) -> Finding:
    return Finding(
        finding_id=row["finding_id"],
        fingerprint=row["fingerprint"],
        integration_id=row["integration_id"],
        name=row["name"],
        owner=row["owner"],
        metric=row["metric"],
        detector=row["detector"],
        severity=row["severity"],
        summary=row["summary"],
        status=row["status"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        resolved_at=row["resolved_at"],
        tier=row["tier"],
        lifecycle=row["lifecycle"],
        chat_route=row["chat_route"],
        runbook=row["runbook"],
        source_system=row["source_system"],
        target_system=row["target_system"],
        tags=tuple(row["tags"] or ()),
        onset=row.get("onset"),
        kind=row.get("kind") or FindingKind.DEGRADATION,
    )
