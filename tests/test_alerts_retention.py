"""Alert history retention: finished episodes are pruned whole; open findings, unfinished claims
and owed resolves stay; a notify after pruning neither repeats nor loses a message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seamwatch.config import load_settings
from seamwatch.errors import ConfigError
from seamwatch.store import Store
from tests.alerts_support import (
    FAST,
    T0,
    WEBHOOK,
    add_finding,
    configure,
    minutes,
    notifications,
    notifier,
    resolve,
)
from tests.conftest import pinned_utcnow

DAY = timedelta(days=1)
NOW = T0 + 200 * DAY  # the default retention (90d) cuts at T0 + 110d

# Each finding its own message; no repeats within the test's 200 days.
ONE_BY_ONE = (
    FAST
    + """
shared_system_grouping = false
group_by = ["integration"]
repeat_interval = "365d"
"""
)


def told(received) -> list[tuple[str, str]]:
    """(status, integration) of every alert in the messages a receiver got, in order."""
    return [(a["status"], a["labels"]["integration"]) for r in received for a in r.body["alerts"]]


def history(settings) -> dict[str | None, list[tuple[str, str]]]:
    """Notification rows per integration: (event, status)."""
    out: dict[str | None, list[tuple[str, str]]] = {}
    for row in notifications(settings):
        out.setdefault(row["integration_id"], []).append((row["event"], row["status"]))
    return out


def message_count(settings) -> int:
    with Store.from_settings(settings).read() as con:
        return int(con.execute("SELECT count(*) FROM alert_messages").fetchone()[0])


def test_retention_prunes_finished_episodes_and_keeps_what_alerting_still_needs(
    workspace, receiver
):
    settings = configure(workspace, WEBHOOK.format(fast=ONE_BY_ONE, base=receiver.base))
    still_open = add_finding(settings, "crm-orders-to-erp")
    long_resolved = add_finding(settings, "payments-webhook")
    recently_resolved = add_finding(settings, "shop-invoices-to-erp")
    resolve_owed = add_finding(settings, "wms-stock-to-erp")
    alerts = notifier(settings)
    alerts.run(T0 + minutes(1))
    alerts.test_message("hook", now=T0 + minutes(2))
    resolve(settings, long_resolved, T0 + 10 * DAY)
    alerts.run(T0 + 10 * DAY + minutes(1))
    resolve(settings, recently_resolved, NOW - 5 * DAY)
    sent = len(receiver.received)
    alerts.run(NOW - 5 * DAY + minutes(1))
    assert told(receiver.received[sent:]) == [("resolved", "shop-invoices-to-erp")]
    alerts.test_message("hook", now=NOW - DAY)
    resolve(
        settings, resolve_owed, NOW - timedelta(hours=1)
    )  # every row of it is old; its resolve is owed
    before = history(settings)
    messages = message_count(settings)

    result = Store.from_settings(settings).apply_retention(NOW)

    after = history(settings)
    assert "payments-webhook" not in after  # open and resolve, both long done: gone together
    assert result.notifications == len(before["payments-webhook"]) + 1  # + the old test message
    assert result.alert_messages == 3 and message_count(settings) == messages - 3
    assert after["crm-orders-to-erp"] == [
        ("open", "sent")
    ]  # still open: its open is never re-announced
    assert after["shop-invoices-to-erp"] == [
        ("open", "sent"),
        ("resolve", "sent"),
    ]  # told 5 days ago
    assert after["wms-stock-to-erp"] == [
        ("open", "sent")
    ]  # resolved an hour ago: its resolve is owed
    assert after[None] == [("test", "sent")]  # the recent test message

    sent = len(receiver.received)
    alerts.run(NOW)
    notifier(settings, seed=2).run(NOW + minutes(1))  # a restarted daemon
    assert told(receiver.received[sent:]) == [
        ("resolved", "wms-stock-to-erp")
    ]  # once, nothing else
    assert still_open and Store.from_settings(settings).apply_retention(NOW).notifications == 0


def test_an_unfinished_claim_outlives_retention_and_is_sent_once_after_a_long_outage(
    workspace, receiver
):
    settings = configure(workspace, WEBHOOK.format(fast=ONE_BY_ONE, base=receiver.base))
    finding = add_finding(settings, "hr-people-to-ad")
    notifier(settings).run(T0 + minutes(1))
    resolve(settings, finding, T0 + 10 * DAY)
    crashed = notifier(settings, seed=2)
    (message,) = crashed.plan(T0 + 10 * DAY + minutes(1)).messages
    assert crashed.claim(
        message, T0 + 10 * DAY + minutes(1)
    )  # ...and the daemon is down for months

    store = Store.from_settings(settings)
    assert store.apply_retention(NOW).notifications == 0  # retention runs first when it comes back
    assert history(settings)["hr-people-to-ad"] == [("open", "sent"), ("resolve", "pending")]
    report = notifier(settings, seed=3).run(NOW).reports
    assert [(r.event, r.status) for r in report] == [("resolve", "sent")]
    assert told(receiver.received) == [
        ("firing", "hr-people-to-ad"),
        ("resolved", "hr-people-to-ad"),
    ]

    assert store.apply_retention(NOW + DAY).notifications == 0  # just told: kept a retention more
    pruned = store.apply_retention(NOW + 91 * DAY)
    assert (pruned.notifications, pruned.alert_messages) == (2, 2) and notifications(settings) == []
    assert notifier(settings, seed=4).run(NOW + 91 * DAY).reports == []
    assert len(receiver.received) == 2


def test_alert_history_retention_is_a_store_key_of_at_least_a_day(workspace):
    workspace.write("config.toml", '[store]\nalert_history_retention = "180d"\n')
    settings = load_settings(workspace.config)
    assert Store.from_settings(settings).alert_history_retention == 180 * DAY
    workspace.write("config.toml", '[store]\nalert_history_retention = "12h"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(workspace.config)
    assert "store.alert_history_retention" in str(info.value) and "12h is too short" in str(
        info.value
    )


def test_the_daemons_retention_job_prunes_alert_history(workspace, receiver):
    from cli.scheduler import build_scheduler

    settings = configure(workspace, WEBHOOK.format(fast=ONE_BY_ONE, base=receiver.base))
    finding = add_finding(settings, "payments-webhook")
    alerts = notifier(settings)
    alerts.run(T0 + minutes(1))
    resolve(settings, finding, T0 + DAY)
    alerts.run(T0 + DAY + minutes(1))
    assert [r["event"] for r in notifications(settings)] == ["open", "resolve"]
    scheduler = build_scheduler(settings)
    with pinned_utcnow(NOW, "cli.scheduler"):  # the job prunes as of the daemon's clock
        result = scheduler.get_job("retention").func()
    assert (result.notifications, result.alert_messages) == (2, 2) and notifications(settings) == []
