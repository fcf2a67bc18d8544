"""Every channel kind renders a message its service accepts, with what the owner needs to act."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from seamwatch.config import load_settings
from tests.alerts_support import (
    FAST,
    T0,
    add_finding,
    add_findings,
    configure,
    minutes,
    notifications,
    notifier,
    resolve,
)

KINDS = ["slack", "teams", "discord", "google_chat", "mattermost", "webhook"]


def one_channel(workspace, monkeypatch, receiver, kind, extra=""):
    monkeypatch.setenv("HOOK_URL", receiver.url(kind))
    return configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        chat_route = "ignore"
        [alerts.channels.team]
        kind = "{kind}"
        url = "${{HOOK_URL}}"
        min_interval = "0s"
        {extra}
        [alerts.default]
        channels = ["team"]
        """,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_open_message_has_severity_owner_summary_since_and_links(
    workspace, monkeypatch, receiver, kind
):
    settings = one_channel(workspace, monkeypatch, receiver, kind)
    add_finding(settings, "crm-orders-to-erp", severity="critical")
    result = notifier(settings).run(T0 + minutes(5))
    assert [r.status for r in result.reports] == ["sent"]
    (got,) = receiver.for_service(kind)
    assert got.errors == []
    text = got.text()
    assert "CRM orders to ERP" in text and "payments" in text and "critical" in text.lower()
    assert "p95 latency up 23% week over week, 412 ms → 507 ms" in text
    assert "2026-11-20 08:00 UTC" in text or "2026-11-20T08:00:00" in text
    assert "https://runbooks.example.com/crm-orders" in text
    assert "http://localhost:8501/integration?integration=crm-orders-to-erp" in text


@pytest.mark.parametrize("kind", KINDS)
def test_resolve_message_says_what_recovered_and_how_long_it_took(
    workspace, monkeypatch, receiver, kind
):
    settings = one_channel(workspace, monkeypatch, receiver, kind)
    fid = add_finding(settings, "crm-orders-to-erp")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    resolve(settings, fid, T0 + minutes(192))
    n.run(T0 + minutes(193))
    assert len(receiver.for_service(kind)) == 2
    resolved = receiver.for_service(kind)[-1]
    assert resolved.errors == []
    text = resolved.text()
    assert "p95 latency recovered after 3h12m" in text
    if kind == "webhook":
        assert resolved.body["status"] == "resolved"
        assert resolved.body["alerts"][0]["endsAt"].startswith("2026-11-20T11:12:00")


@pytest.mark.parametrize("kind", KINDS)
def test_a_large_group_is_cut_to_the_service_limits_and_says_how_many_were_left_out(
    workspace,
    monkeypatch,
    receiver,
    kind,
):
    extra = "max_alerts = 50" if kind == "webhook" else ""
    settings = one_channel(workspace, monkeypatch, receiver, kind, extra)
    long_summary = "error rate drifted from 0.10% to 0.40% over 7 days; " + "x" * 400
    add_findings(settings, "crm-orders-to-erp", 120, summary=long_summary)
    result = notifier(settings).run(T0 + minutes(1))
    assert [(r.status, r.findings) for r in result.reports] == [("sent", 120)]
    (got,) = receiver.for_service(kind)
    assert got.errors == []
    if kind == "webhook":
        assert len(got.body["alerts"]) == 50 and got.body["truncatedAlerts"] == 70
    else:
        assert "more findings not shown (message size limit)" in got.text()
    assert "120 findings for payments" in got.text()
    rows = notifications(settings)
    assert len(rows) == 120 and {r["status"] for r in rows} == {"sent"}


def test_webhook_body_is_signed_with_hmac_sha256_and_carries_an_idempotency_key(
    workspace, monkeypatch, receiver
):
    monkeypatch.setenv("HOOK_SECRET", "s3cr3t-hmac-key")
    settings = one_channel(workspace, monkeypatch, receiver, "webhook", 'secret = "${HOOK_SECRET}"')
    add_finding(settings, "crm-orders-to-erp")
    notifier(settings).run(T0 + minutes(1))
    (got,) = receiver.for_service("webhook")
    expected = "sha256=" + hmac.new(b"s3cr3t-hmac-key", got.raw, hashlib.sha256).hexdigest()
    assert got.headers["X-Seamwatch-Signature"] == expected
    assert got.headers["Idempotency-Key"] == notifications(settings)[0]["message_id"]
    labels = got.body["alerts"][0]["labels"]
    assert labels["integration"] == "crm-orders-to-erp" and labels["owner"] == "payments"
    assert got.body["commonLabels"]["severity"] == "warning"


def test_google_chat_threads_every_message_about_one_finding(workspace, monkeypatch, receiver):
    settings = one_channel(workspace, monkeypatch, receiver, "google_chat")
    fid = add_finding(settings, "crm-orders-to-erp")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    resolve(settings, fid, T0 + minutes(30))
    n.run(T0 + minutes(31))
    keys = {r.body["thread"]["threadKey"] for r in receiver.for_service("google_chat")}
    assert len(keys) == 1 and fid not in next(iter(keys))  # one thread per group, stable
    assert all(
        r.query["messageReplyOption"] == ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"]
        for r in receiver.received
    )


def test_slack_escapes_markup_in_summaries(workspace, monkeypatch, receiver):
    settings = one_channel(workspace, monkeypatch, receiver, "slack")
    add_finding(settings, "crm-orders-to-erp", summary="queue <orders> & retries > 3")
    notifier(settings).run(T0 + minutes(1))
    (got,) = receiver.for_service("slack")
    assert got.errors == []
    assert "queue &lt;orders&gt; &amp; retries &gt; 3" in got.text()


def test_channels_test_sends_and_records_a_test_message(workspace, monkeypatch, receiver, cli):
    one_channel(workspace, monkeypatch, receiver, "teams")
    result = cli("channels", "test", "team")
    assert result.code == 0 and "sent a test message to team" in result.out
    (got,) = receiver.for_service("teams")
    assert got.errors == [] and "Seamwatch test message" in got.text()
    settings = load_settings(workspace.config)
    assert [(r["event"], r["status"]) for r in notifications(settings)] == [("test", "sent")]
    listing = cli("channels", "list")
    assert "team" in listing.out and "teams" in listing.out and "XXXXsecret" not in listing.out
    missing = cli("channels", "test", "nope")
    assert missing.code == 2 and "no channel named 'nope'" in missing.err
