"""Each part of the alerts pipeline alone: route and plan (pure: no store, no clock), the outbox
(claim, lease, finish on a real DuckDB file), delivery (a real local receiver)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from alerts.delivery import Delivery
from alerts.outbox import Limits, Outbox, OutboxMessage, OutboxRow
from alerts.plan import Note, Planner, event_key
from alerts.route import Router
from alerts.settings import AlertSettings
from alerts.slack import SlackalikeOptions, SlackChannel
from alerts.transport import Outcome
from seamwatch.findings import Finding
from seamwatch.store import Store
from tests.servers_chat import Behaviour

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def finding(i: int, **changes) -> Finding:
    values = dict(
        finding_id=f"f{i}:1",
        fingerprint=f"f{i}",
        integration_id=f"int-{i}",
        name=f"Integration {i}",
        owner="payments" if i % 2 == 0 else "finance",
        metric="error_rate",
        detector="trend",
        severity="warning",
        summary="error rate drifted from 0.10% to 0.40% over 7 days",
        status="open",
        first_seen=T0,
        last_seen=T0,
    )
    values.update(changes)
    return Finding(**values)


def slack(name: str, url: str = "https://chat.example.com/hook") -> SlackChannel:
    return SlackChannel(
        name, SlackalikeOptions(kind="slack", url=SecretStr(url), min_interval="0s")
    )


class NoMutes:
    def muted_by(self, finding):
        return None


class MuteAll:
    def muted_by(self, finding):
        return "silence:abc"


def planner(alerts: AlertSettings, *names: str) -> Planner:
    ids = (f"m{n:04d}" for n in itertools.count())
    channels = {n: slack(n) for n in names}
    return Planner(alerts, channels, "http://localhost:8501", UTC, lambda: next(ids))


def settings(**values) -> AlertSettings:
    return AlertSettings.model_validate({"group_wait": "0s", **values})


def test_routes_chat_route_then_routes_in_order_then_default():
    alerts = settings(
        routes=[
            {"match": {"owner": "payments"}, "channels": ["pay"]},
            {"match": {"severity": "warning"}, "channels": ["warn"]},
        ],
        default={"channels": ["ops"]},
    )
    router = Router(alerts, ["pay", "warn", "ops", "own"])
    assert list(router.targets(finding(0), None)) == ["pay"]  # first match wins
    assert list(router.targets(finding(1), None)) == ["warn"]
    assert list(router.targets(finding(1, severity="info"), None)) == ["ops"]
    assert list(router.targets(finding(0), "own")) == ["own", "pay"]  # chat_route adds
    override = Router(alerts.model_copy(update={"chat_route": "override"}), ["pay", "own"])
    assert list(override.targets(finding(0), "own")) == ["own"]


def test_plan_is_pure_and_groups_per_channel_and_owner():
    p = planner(settings(default={"channels": ["ops"]}), "ops")
    findings = [finding(i) for i in range(4)]
    first = p.plan(findings, {}, NoMutes(), T0 + timedelta(minutes=1))
    assert [(m.channel, m.group.key, len(m.events)) for m in first.messages] == [
        ("ops", "owner=payments", 2),
        ("ops", "owner=finance", 2),
    ]
    again = planner(settings(default={"channels": ["ops"]}), "ops").plan(
        findings, {}, NoMutes(), T0 + timedelta(minutes=1)
    )
    assert [m.payload for m in again.messages] == [m.payload for m in first.messages]


def test_plan_waits_dedups_and_repeats_from_what_the_outbox_holds():
    alerts = settings(group_wait="5m", repeat_interval="1h", default={"channels": ["ops"]})
    p = planner(alerts, "ops")
    f = finding(0)
    waiting = p.plan([f], {}, NoMutes(), T0 + timedelta(minutes=1))
    assert waiting.messages == [] and waiting.waiting == 1
    sent = {
        event_key(f.finding_id, "open", 0, "ops"): Note("k", "sent", T0, T0 + timedelta(minutes=5))
    }
    assert p.plan([f], sent, NoMutes(), T0 + timedelta(minutes=30)).messages == []  # dedup
    later = p.plan([f], sent, NoMutes(), T0 + timedelta(minutes=5, hours=2))
    assert [(e.kind, e.seq) for m in later.messages for e in m.events] == [("repeat", 2)]
    pending = {event_key(f.finding_id, "open", 0, "ops"): Note("k", "pending", T0)}
    assert p.plan([f], pending, NoMutes(), T0 + timedelta(hours=5)).messages == []  # in flight


def test_plan_mutes_once_per_event_and_mute():
    p = planner(settings(default={"channels": ["ops"]}), "ops")
    f = finding(0)
    plan = p.plan([f], {}, MuteAll(), T0 + timedelta(minutes=1))
    assert plan.messages == [] and [(m.event.kind, m.muted_by) for m in plan.muted] == [
        ("open", "silence:abc")
    ]
    recorded = {f"{plan.muted[0].event.dedup_key}|silenced|silence:abc": Note("k", "silenced", T0)}
    assert p.plan([f], recorded, MuteAll(), T0 + timedelta(minutes=2)).muted == []


def test_plan_resolves_only_where_the_open_message_went_out():
    p = planner(settings(default={"channels": ["ops"]}), "ops", "quiet")
    f = finding(0, status="resolved", resolved_at=T0 + timedelta(hours=1))
    notes = {event_key(f.finding_id, "open", 0, "ops"): Note("k", "sent", T0, T0)}
    plan = p.plan([f], notes, NoMutes(), T0 + timedelta(hours=2))
    assert [(m.channel, m.group.event) for m in plan.messages] == [("ops", "resolve")]


def message(message_id: str, key: str, channel: str = "ops") -> OutboxMessage:
    return OutboxMessage(
        message_id,
        channel,
        "slack",
        "open",
        "owner=payments",
        "t",
        1,
        {"text": "hi"},
        T0,
        rows=(OutboxRow(key, "open", "f0:1", "int-0"),),
    )


def test_outbox_claims_an_event_once_leases_it_and_finishes_it(tmp_path):
    store = Store(tmp_path / "sw.duckdb")
    store.migrate()
    one = Outbox(store, instance="one", lease=timedelta(minutes=10))
    two = Outbox(store, instance="two", lease=timedelta(minutes=10))
    assert one.claim(message("m1", "f0:1|open|ops"))
    assert not two.claim(message("m2", "f0:1|open|ops"))  # the same event, another process
    assert two.reclaim(T0 + timedelta(minutes=5)) == []  # the lease holds
    (taken,) = two.reclaim(T0 + timedelta(minutes=11))  # the claimer died
    assert taken.message_id == "m1" and taken.body == {"text": "hi"} and taken.event == "open"
    limits = Limits(max_attempts=4, give_up_after=timedelta(hours=1), retry_in=timedelta(minutes=2))
    failed = two.finish(taken, Outcome(False, 3, "HTTP 503"), T0 + timedelta(minutes=11), limits)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert two.reclaim(T0 + timedelta(minutes=12)) == []  # not due yet
    (due,) = two.reclaim(T0 + timedelta(minutes=13))
    assert due.attempts == 3
    done = two.finish(due, Outcome(False, 1, "HTTP 503"), T0 + timedelta(minutes=13), limits)
    assert done.status == "undelivered"  # max_attempts reached
    assert one.notes(["f0:1"])["f0:1|open|ops"].status == "undelivered"


def test_delivery_retries_within_a_cycle_and_records_the_outcome(tmp_path, receiver):
    store = Store(tmp_path / "sw.duckdb")
    store.migrate()
    outbox = Outbox(store, instance="one", lease=timedelta(minutes=10))
    alerts = settings(backoff="1ms", max_backoff="2ms")
    channels = {"ops": slack("ops", receiver.url("slack"))}
    delivery = Delivery(channels, outbox, alerts, sleep=lambda s: None)
    receiver.script("/slack/", Behaviour(500, body="oops"))
    m = message("m1", "f0:1|open|ops")
    assert outbox.claim(m)
    report = delivery.deliver(m, T0)
    assert (report.status, report.attempts, report.message_id) == ("sent", 2, "m1")
    assert len(receiver.received) == 2
    gone = message("m2", "f1:1|open|gone", channel="gone")
    assert outbox.claim(gone)
    refused = delivery.deliver(gone, T0)
    assert refused.status == "undelivered" and "no longer configured" in (refused.error or "")


@pytest.mark.parametrize("once", [True, False])
def test_a_test_message_or_post_fails_once_and_for_all(tmp_path, once):
    store = Store(tmp_path / "sw.duckdb")
    store.migrate()
    outbox = Outbox(store, instance="one", lease=timedelta(minutes=10))
    m = OutboxMessage(
        "m1", "ops", "slack", "test", "test", "t", 0, {}, T0, (OutboxRow("k", "test"),), once=once
    )
    assert outbox.claim(m)
    done = outbox.finish(m, Outcome(False, 1, "HTTP 503"), T0, Limits())
    assert done.status == ("undelivered" if once else "failed")
