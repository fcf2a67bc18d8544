"""Fault suite, alerts: housekeeping is not evidence of a failing system, Google Chat keeps a
finding's messages in one thread, the webhook is Alertmanager-shaped and can be signed the
Standard Webhooks way, max_attempts is exact, a permanently failing channel is marked."""

from __future__ import annotations

import json

import pytest

from tests.alerts_support import (
    FAST,
    T0,
    add_finding,
    configure,
    minutes,
    notifications,
    notifier,
    resolve,
)
from tests.servers_chat import Behaviour


def channel(workspace, monkeypatch, receiver, kind, extra: str = "", alerts: str = ""):
    monkeypatch.setenv("HOOK_URL", receiver.url(kind))
    return configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        chat_route = "ignore"
        {alerts}
        [alerts.channels.team]
        kind = "{kind}"
        url = "${{HOOK_URL}}"
        min_interval = "0s"
        {extra}
        [alerts.default]
        channels = ["team"]
        """,
    )


def test_housekeeping_findings_are_not_evidence_of_a_failing_shared_system(
    workspace, monkeypatch, receiver
):
    settings = channel(workspace, monkeypatch, receiver, "webhook")
    add_finding(settings, "crm-orders-to-erp")  # target SAP ERP: a real degradation
    add_finding(settings, "shop-invoices-to-erp", detector="no_owner", metric="throughput")
    notifier(settings).run(T0 + minutes(5))
    titles = [r.body["title"] for r in receiver.for_service("webhook")]
    assert not any("affected by" in t for t in titles), titles
    assert len(titles) == 2  # each in its own owner's group


def test_google_chat_keeps_a_findings_open_and_resolve_in_one_thread_with_fallback_text(
    workspace, monkeypatch, receiver
):
    settings = channel(workspace, monkeypatch, receiver, "google_chat")
    first = add_finding(settings, "crm-orders-to-erp")
    add_finding(settings, "payments-webhook", detector="level_shift")
    n = notifier(settings)
    n.run(T0 + minutes(5))  # one grouped open (owner payments)
    resolve(settings, first, T0 + minutes(30))
    n.run(T0 + minutes(31))  # the resolve of one of them, alone
    bodies = [r.body for r in receiver.for_service("google_chat")]
    assert len(bodies) == 2
    assert bodies[0]["thread"]["threadKey"] == bodies[1]["thread"]["threadKey"]
    assert all(b["fallbackText"] for b in bodies)
    assert "Resolved" in bodies[1]["fallbackText"] or "RESOLVED" in bodies[1]["fallbackText"]


def test_webhook_group_labels_and_key_are_alertmanager_shaped(workspace, monkeypatch, receiver):
    settings = channel(workspace, monkeypatch, receiver, "webhook")
    add_finding(settings, "payments-webhook")
    notifier(settings).run(T0 + minutes(5))
    (got,) = receiver.for_service("webhook")
    labels = got.body["groupLabels"]
    assert labels.get("owner") == "payments" and "group" not in labels, labels
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    assert got.body["groupKey"] == "{}:{" + inner + "}"


def test_webhook_standard_signature_verifies_with_the_reference_library(
    workspace, monkeypatch, receiver
):
    from standardwebhooks.webhooks import Webhook

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    monkeypatch.setenv("HOOK_SECRET", secret)
    settings = channel(
        workspace,
        monkeypatch,
        receiver,
        "webhook",
        'secret = "${HOOK_SECRET}"\n        signing = "standard"',
    )
    from alerts.webhook import WebhookChannel

    monkeypatch.setattr(WebhookChannel, "clock", staticmethod(lambda: 1_795_600_000.0))
    add_finding(settings, "crm-orders-to-erp")
    notifier(settings).run(T0 + minutes(1))
    (got,) = receiver.for_service("webhook")
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["webhook-timestamp"] == "1795600000"
    assert headers["webhook-id"] == notifications(settings)[0]["message_id"]
    verifier = Webhook(secret)
    import standardwebhooks.webhooks as sw

    monkeypatch.setattr(sw, "datetime", _FrozenDatetime)
    assert verifier.verify(got.raw, headers) == json.loads(got.raw)
    with pytest.raises(Exception, match="signature"):  # a tampered body fails
        verifier.verify(got.raw.replace(b"crm", b"xrm"), headers)


class _FrozenDatetime:
    """The verifier's clock at the signing time (it rejects timestamps older than 5 minutes)."""

    @staticmethod
    def now(tz=None):
        from datetime import datetime

        return datetime.fromtimestamp(1_795_600_030, tz)

    @staticmethod
    def fromtimestamp(ts, tz=None):
        from datetime import datetime

        return datetime.fromtimestamp(ts, tz)


def test_max_attempts_is_exact_across_cycles(workspace, monkeypatch, receiver):
    settings = channel(
        workspace,
        monkeypatch,
        receiver,
        "slack",
        alerts='max_attempts = 4\nattempts_per_cycle = 3\ngive_up_after = "1d"',
    )
    receiver.script("/slack/", *[Behaviour(503, body="busy")] * 10)
    add_finding(settings, "crm-orders-to-erp")
    n = notifier(settings)
    for minute in (1, 10, 20, 30):
        n.run(T0 + minutes(minute))
    assert len(receiver.for_service("slack")) == 4
    rows = notifications(settings)
    assert rows[0]["status"] == "undelivered" and rows[0]["attempts"] == 4


def test_a_permanently_failing_channel_is_marked_until_it_works_again(
    workspace, monkeypatch, receiver, cli
):
    settings = channel(workspace, monkeypatch, receiver, "slack")
    receiver.script("/slack/", Behaviour(404, body="no_service"), Behaviour(404, body="no_service"))
    add_finding(settings, "crm-orders-to-erp")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    listed = cli("channels", "list")
    assert listed.code == 1
    assert "FAILING since 2026-11-20 08:01 UTC (1 permanent failures)" in listed.out, listed.out
    assert "no_service" in listed.out
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("SEAMWATCH_CONFIG", str(workspace.config))
    at = AppTest.from_file(str(REPO / "app" / "Home.py"), default_timeout=60).run()
    at.switch_page("views/sources.py").run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error)
    assert "**team** (HTTP 404" in shown and "no_service" in shown, shown
    add_finding(settings, "payments-webhook", detector="level_shift")
    n.run(T0 + minutes(10))
    assert "(2 permanent failures)" in cli("channels", "list").out
    add_finding(settings, "crm-orders-to-erp", detector="slo_burn", metric="error_rate")
    n.run(T0 + minutes(20))  # the receiver works again
    listed = cli("channels", "list")
    assert listed.code == 0 and "FAILING" not in listed.out, listed.out
    from seamwatch.store import Store

    view = Store.from_settings(settings).query("SELECT channel, failing FROM v_channels")
    assert view.values.tolist() == [["team", False]]
