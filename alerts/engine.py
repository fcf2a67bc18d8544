"""One notify cycle, composed from the pipeline's parts: read, plan, claim, deliver, record.

`Notifier` only wires the parts for one process (settings, channels, store, instance id):
`plan.Planner` decides (pure), `outbox.Outbox` claims and finishes durably, `delivery.Delivery`
sends with retries. The guarantees are the outbox's (see alerts/outbox.py).
"""

from __future__ import annotations

import logging
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb

from alerts import build_channels
from alerts.base import Channel
from alerts.delivery import Delivery, MessageReport
from alerts.message import Group, Item, dashboard_url, inert
from alerts.outbox import Outbox, OutboxMessage, OutboxRow, channel_health
from alerts.plan import Muted, Note, Plan, PlannedMessage, Planner, muted_key
from alerts.queries import CANDIDATE_FINDINGS
from alerts.settings import AlertSettings, load_alert_settings
from alerts.silences import Muter, active_silences
from seamwatch.config import Settings
from seamwatch.errors import StoreError
from seamwatch.findings import Finding
from seamwatch.store import Store
from seamwatch.test_requests import answer_test, pending_tests
from seamwatch.timeutil import utcnow, zone_named

log = logging.getLogger(__name__)

__all__ = ["CycleResult", "MessageReport", "Notifier", "channel_health"]


@dataclass
class CycleResult:
    """What one notify cycle did."""

    reports: list[MessageReport] = field(default_factory=list)
    silenced: int = 0
    waiting: int = 0
    unrouted: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.reports if r.status == status)


def outbox_message(message: PlannedMessage, kind: str, now: datetime) -> OutboxMessage:
    """A planned message as the outbox's typed row: one notification row per event."""
    group = message.group
    return OutboxMessage(
        message_id=message.payload.message_id,
        channel=message.channel,
        kind=kind,
        event=group.event,
        group_key=group.key,
        title=message.payload.title,
        findings=len(message.events),
        body=message.payload.body,
        created_at=now,
        rows=tuple(
            OutboxRow(e.dedup_key, e.kind, e.finding.finding_id, e.finding.integration_id)
            for e in message.events
        ),
    )


def muted_row(muted: Muted) -> tuple[OutboxRow, str, str]:
    """A muted event as the outbox records it (status silenced, once per event and mute)."""
    e = muted.event
    row = OutboxRow(
        muted_key(e, muted.muted_by), e.kind, e.finding.finding_id, e.finding.integration_id
    )
    return row, e.channel, muted.muted_by


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
        self.alerts: AlertSettings = load_alert_settings(settings)
        self.channels: dict[str, Channel] = build_channels(self.alerts, settings)
        self.store = store or Store.from_settings(settings)
        self.rng = random.Random(seed)
        instance = instance or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        longest = max(
            (c.options.timeout for c in self.channels.values()), default=timedelta(seconds=10)
        )
        self.outbox = Outbox(
            self.store, instance=instance, lease=self.alerts.effective_lease(longest)
        )
        self.delivery = Delivery(self.channels, self.outbox, self.alerts, sleep=sleep, rng=self.rng)
        self.planner = Planner(
            self.alerts,
            self.channels,
            settings.app.base_url,
            zone_named(settings.app.timezone),
            self.new_id,
        )

    def new_id(self) -> str:
        """A message id (reproducible under a seed)."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4).hex

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
        result.silenced = self.outbox.record_muted(map(muted_row, plan.muted), now)
        for message in plan.messages:
            if self.claim(message, now):
                result.reports.append(self.delivery.deliver(self.outbox_message(message, now), now))
        return result

    def dry_run(self, now: datetime | None = None) -> Plan:
        """What a cycle would send now, rendered; nothing is sent or recorded."""
        return self.plan(now or utcnow())

    def plan(self, now: datetime) -> Plan:
        """Read the findings, what the outbox holds and the mutes in force; plan (pure)."""
        findings, notes = self.load()
        muter = Muter(active_silences(self.store, now), self.alerts.maintenance, now)
        return self.planner.plan(findings, notes, muter, now)

    def load(self) -> tuple[list[Finding], dict[str, Note]]:
        """Candidate findings (made inert for chat) and the outbox's notes on their events."""
        if not self.store.exists():
            return [], {}
        try:
            with self.store.read() as con:
                cur = con.execute(CANDIDATE_FINDINGS)
                columns = [d[0] for d in cur.description]
                findings = [
                    inert(Finding.from_row(dict(zip(columns, row, strict=True))))
                    for row in cur.fetchall()
                ]
                notes = self.outbox.notes([f.finding_id for f in findings], con)
        except duckdb.CatalogException as exc:
            raise StoreError(
                f"the store has no findings/notifications tables yet ({exc}); run `seamwatch check`"
            ) from None
        return findings, notes

    def outbox_message(self, message: PlannedMessage, now: datetime) -> OutboxMessage:
        return outbox_message(message, self.channels[message.channel].kind, now)

    def claim(self, message: PlannedMessage, now: datetime) -> bool:
        """Claim a planned message in the outbox (False: one of its events is claimed already)."""
        return self.outbox.claim(self.outbox_message(message, now))

    def reconcile(self, now: datetime) -> list[MessageReport]:
        """Take over claims a crashed process left pending, and retry failed messages now due."""
        reports = []
        for message in self.outbox.reclaim(now):
            log.info(
                "re-sending message %s to %s (claimed earlier, not recorded as sent)",
                message.message_id,
                message.channel,
            )
            reports.append(self.delivery.deliver(message, now))
        return reports

    # -- test messages -------------------------------------------------------------------------

    def test_message(self, name: str, now: datetime | None = None) -> MessageReport:
        """Send a test message to one channel and record it (event 'test'): one attempt."""
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
        base = self.settings.app.base_url
        item = Item(sample, "test", dashboard_url(base, "seamwatch-test"))
        group = Group(name, "test", "test", (item,), now, base_url=base, message_id=message_id)
        payload = channel.render(group)
        message = OutboxMessage(
            message_id,
            name,
            channel.kind,
            "test",
            "test",
            payload.title,
            0,
            payload.body,
            now,
            rows=(OutboxRow(f"test|{message_id}|{name}", "test"),),
            once=True,
        )
        self.outbox.claim(message)
        return self.delivery.deliver(message, now)

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
