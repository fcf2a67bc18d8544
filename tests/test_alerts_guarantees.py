"""No duplicate and no loss: across a crash between send and record, a crash after the claim,
and two instances running at once. Also a real Alertmanager receiving findings."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

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
from tests.conftest import REPO
from tests.servers_chat import Behaviour


def notify_process(workspace, now) -> subprocess.Popen:
    """`seamwatch notify` in its own process, as the scheduler would run it."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "notify",
            "--config",
            str(workspace.config),
            "--now",
            now.isoformat(),
        ],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_crash_between_send_and_record_resends_once_after_the_lease_with_the_same_key(
    workspace, receiver
):
    settings = configure(workspace, WEBHOOK.format(fast=FAST, base=receiver.base))
    add_finding(settings, "payments-webhook")
    process = notify_process(workspace, T0 + minutes(1))
    receiver.script("/webhook/hook", Behaviour(action="kill", pid=process.pid))
    process.wait(60)
    assert process.returncode == -9  # killed while the service had the message
    assert len(receiver.received) == 1
    (row,) = notifications(settings)
    assert row["status"] == "pending"  # claimed, outcome unknown

    # A restart within the lease sends nothing: the event is claimed and may have arrived.
    assert notifier(settings).run(T0 + minutes(2)).reports == []
    assert len(receiver.received) == 1
    # After the lease the claim is taken over and re-sent once, with the same idempotency key.
    after = notifier(settings).run(T0 + minutes(1) + timedelta(minutes=11))
    assert [(r.status, r.event) for r in after.reports] == [("sent", "open")]
    first, second = receiver.received
    assert (
        first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == row["message_id"]
    )
    assert first.raw == second.raw
    assert notifier(settings).run(T0 + minutes(30)).reports == []
    assert [r["status"] for r in notifications(settings)] == ["sent"]


def test_a_crash_after_the_claim_and_before_the_send_loses_nothing(workspace, receiver):
    settings = configure(workspace, WEBHOOK.format(fast=FAST, base=receiver.base))
    add_finding(settings, "payments-webhook")
    crashed = notifier(settings)
    (message,) = crashed.plan(T0 + minutes(1)).messages
    assert crashed.claim(message, T0 + minutes(1))  # ...and the process dies here
    restarted = notifier(settings)
    assert restarted.run(T0 + minutes(3)).reports == []  # a live claim is left alone
    later = restarted.run(T0 + minutes(15))
    assert [r.status for r in later.reports] == ["sent"]
    assert len(receiver.received) == 1 and receiver.received[0].errors == []


def test_two_instances_at_once_send_each_event_once(workspace, receiver):
    settings = configure(
        workspace, WEBHOOK.format(fast=FAST + '\ngroup_by = ["integration"]', base=receiver.base)
    )
    for integration in (
        "crm-orders-to-erp",
        "payments-webhook",
        "hr-people-to-ad",
        "wms-stock-to-erp",
    ):
        add_finding(settings, integration)
    receiver.always["/webhook"] = Behaviour(
        action="timeout", seconds=0.3
    )  # slow service: overlap for sure
    first, second = (
        notify_process(workspace, T0 + minutes(1)),
        notify_process(workspace, T0 + minutes(1)),
    )
    outs = [p.communicate(timeout=120) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    got = sorted(a["labels"]["integration"] for r in receiver.received for a in r.body["alerts"])
    assert got == ["crm-orders-to-erp", "hr-people-to-ad", "payments-webhook", "wms-stock-to-erp"]
    rows = notifications(settings)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"sent"}
    assert (
        len({r["message_id"] for r in rows}) == len(receiver.received) == 3
    )  # crm+wms share SAP ERP


def test_alertmanager_receives_findings_with_labels_and_resolves_them(workspace, alertmanager):
    settings = configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        chat_route = "ignore"
        shared_system_grouping = false
        [alerts.channels.am]
        kind = "alertmanager"
        url = "{alertmanager.url}"
        resend_interval = "1m"
        [alerts.default]
        channels = ["am"]
        """,
    )
    now = alertmanager.now()  # the clock Alertmanager resolves alerts by
    fid = add_finding(
        settings, "crm-orders-to-erp", severity="critical", first_seen=now - minutes(10)
    )
    n = notifier(settings)
    assert [r.status for r in n.run(now - minutes(2)).reports] == ["sent"]
    (alert,) = alertmanager.alerts()
    labels = alert["labels"]
    assert labels["alertname"] == "Seamwatch_trend" and labels["integration"] == "crm-orders-to-erp"
    assert (
        labels["severity"] == "critical" and labels["owner"] == "payments" and labels["tier"] == "1"
    )
    assert labels["target_system"] == "SAP ERP"
    assert alert["annotations"]["runbook_url"] == "https://runbooks.example.com/crm-orders"
    assert alert["status"]["state"] == "active"
    # Re-posted every resend interval while open, so Alertmanager never times it out.
    assert [r.event for r in n.run(now - minutes(1)).reports] == ["repeat"]
    resolve(settings, fid, now - minutes(0.5))
    assert [r.event for r in n.run(now).reports] == ["resolve"]
    assert alertmanager.alerts(active="true") == []
