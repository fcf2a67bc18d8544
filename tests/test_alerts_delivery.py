"""Delivery: retries with backoff, 429 and Retry-After, timeouts, dropped connections, permanent
failures recorded as undelivered with the reason, per-channel rate limits, and no secret in any
recorded error."""

from __future__ import annotations

import itertools
import logging
import time

from tests.alerts_support import FAST, T0, add_finding, configure, minutes, notifications, notifier
from tests.servers_chat import Behaviour

SECRET_TAIL = "T0AB12/B0CD34/verysecrettoken123"


def slack(workspace, monkeypatch, receiver, extra="", alerts_extra=""):
    monkeypatch.setenv("SLACK_URL", receiver.url("slack", SECRET_TAIL))
    return configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        {alerts_extra}
        chat_route = "ignore"
        [alerts.channels.ops]
        kind = "slack"
        url = "${{SLACK_URL}}"
        timeout = "500ms"
        min_interval = "0s"
        {extra}
        [alerts.default]
        channels = ["ops"]
        """,
    )


def test_a_500_is_retried_with_backoff_and_then_delivered(workspace, monkeypatch, receiver):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.script(
        "/slack", Behaviour(500, body="internal_error"), Behaviour(502, body="bad gateway")
    )
    add_finding(settings, "crm-orders-to-erp")
    waits: list[float] = []
    result = notifier(settings, sleep=waits.append).run(T0 + minutes(1))
    assert [(r.status, r.attempts) for r in result.reports] == [("sent", 3)]
    assert (
        len(waits) == 2 and 0.005 <= waits[0] <= 0.01 and 0.01 <= waits[1] <= 0.02
    )  # exponential, jittered
    (row,) = notifications(settings)
    assert row["status"] == "sent" and row["attempts"] == 3


def test_429_waits_as_long_as_retry_after_says(workspace, monkeypatch, receiver):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.script("/slack", Behaviour(429, headers={"Retry-After": "1"}, body="rate_limited"))
    add_finding(settings, "crm-orders-to-erp")
    result = notifier(settings, sleep=time.sleep).run(T0 + minutes(1))
    assert [r.status for r in result.reports] == ["sent"]
    first, second = receiver.for_service("slack")
    assert second.at - first.at >= 0.95


def test_discord_429_json_retry_after_is_honoured(workspace, monkeypatch, receiver):
    monkeypatch.setenv("D_URL", receiver.url("discord"))
    settings = configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        [alerts.channels.payments]
        kind = "discord"
        url = "${{D_URL}}"
        min_interval = "0s"
        """,
    )
    receiver.script(
        "/discord",
        Behaviour(
            429,
            body='{"message": "You are being rate limited.", "retry_after": 0.4, "global": false}',
        ),
    )
    add_finding(settings, "crm-orders-to-erp")
    waits: list[float] = []
    notifier(settings, sleep=waits.append).run(T0 + minutes(1))
    assert 0.4 in waits
    assert [r.query.get("wait") for r in receiver.received] == [["true"], ["true"]]


def test_a_timeout_and_a_dropped_connection_are_transient(workspace, monkeypatch, receiver):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.script("/slack", Behaviour(action="timeout", seconds=1.5), Behaviour(action="close"))
    add_finding(settings, "crm-orders-to-erp")
    result = notifier(settings).run(T0 + minutes(1))
    assert [(r.status, r.attempts) for r in result.reports] == [("sent", 3)]


def test_a_permanent_failure_is_not_retried_and_is_recorded_undelivered_with_the_reason(
    workspace,
    monkeypatch,
    receiver,
    caplog,
):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.script("/slack", Behaviour(404, body="no_service"))
    add_finding(settings, "crm-orders-to-erp")
    with caplog.at_level(logging.DEBUG):
        result = notifier(settings).run(T0 + minutes(1))
    assert [(r.status, r.attempts) for r in result.reports] == [("undelivered", 1)]
    (row,) = notifications(settings)
    assert row["status"] == "undelivered" and "HTTP 404: no_service" in row["last_error"]
    assert len(receiver.received) == 1
    # Nothing further is sent for it in later cycles, and it stays visible.
    assert notifier(settings).run(T0 + minutes(2)).reports == []
    assert notifications(settings)[0]["status"] == "undelivered"


def test_transient_failures_are_retried_in_later_cycles_until_delivered(
    workspace, monkeypatch, receiver
):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.script("/slack", *[Behaviour(503, body="down")] * 3)
    add_finding(settings, "crm-orders-to-erp")
    first = notifier(settings).run(T0 + minutes(1))
    assert [(r.status, r.attempts) for r in first.reports] == [("failed", 3)]
    assert notifications(settings)[0]["status"] == "failed"
    assert (
        notifier(settings)
        .run(
            T0
            + minutes(
                1,
            )
        )
        .reports
        == []
    )  # not due yet
    later = notifier(settings).run(T0 + minutes(5))
    assert [(r.status, r.attempts) for r in later.reports] == [("sent", 4)]
    assert len(receiver.received) == 4 and notifications(settings)[0]["status"] == "sent"


def test_after_max_attempts_a_message_is_undelivered_not_dropped(workspace, monkeypatch, receiver):
    settings = slack(workspace, monkeypatch, receiver, alerts_extra="max_attempts = 4")
    receiver.always["/slack"] = Behaviour(500, body="boom")
    add_finding(settings, "crm-orders-to-erp")
    notifier(settings).run(T0 + minutes(1))
    result = notifier(settings).run(T0 + minutes(10))
    assert [(r.status, r.attempts) for r in result.reports] == [("undelivered", 4)]
    assert "HTTP 500: boom" in notifications(settings)[0]["last_error"]


def test_recorded_errors_and_logs_never_contain_the_webhook_secret(
    workspace, monkeypatch, receiver, caplog, cli
):
    settings = slack(workspace, monkeypatch, receiver)
    receiver.always["/slack"] = Behaviour(action="close")
    add_finding(settings, "crm-orders-to-erp")
    with caplog.at_level(logging.DEBUG):
        notifier(settings).run(T0 + minutes(1))
    with notifier(settings).store.read() as con:
        stored = str(con.execute("SELECT * FROM notifications").fetchall())
        stored += str(con.execute("SELECT * FROM alert_messages").fetchall())
    assert "verysecrettoken123" not in stored
    assert "verysecrettoken123" not in caplog.text
    shown = cli("notify", "--now", (T0 + minutes(2)).isoformat())
    assert "verysecrettoken123" not in shown.out + shown.err


def test_a_channel_rate_limit_spaces_messages(workspace, monkeypatch, receiver):
    settings = slack(workspace, monkeypatch, receiver)
    workspace.write(
        "config.toml",
        workspace.config.read_text()
        .replace('min_interval = "0s"', 'min_interval = "300ms"')
        .replace('chat_route = "ignore"', 'chat_route = "ignore"\ngroup_by = ["integration"]'),
    )
    from seamwatch.config import load_settings

    settings = load_settings(workspace.config)
    for integration in ("crm-orders-to-erp", "payments-webhook", "hr-people-to-ad"):
        add_finding(settings, integration)
    result = notifier(settings, sleep=time.sleep).run(T0 + minutes(1))
    assert [r.status for r in result.reports] == ["sent"] * 3
    times = [r.at for r in receiver.received]
    assert all(b - a >= 0.28 for a, b in itertools.pairwise(times))
